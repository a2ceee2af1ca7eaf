/**
 * What SES does with a message after accepting it, for the local SES front (local/ses-front.ts): the
 * configuration-set event records it publishes, in the shapes of test/fixtures/ses/*.json (the SES developer
 * guide's examples), and the outcomes of the SES mailbox simulator. Any address outside the simulator is
 * delivered, as a real mailbox would accept it.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { simpleParser, type AddressObject, type EmailAddress } from 'mailparser';

export const LOCAL_ACCOUNT_ID = '000000000000';
const LOCAL_IP = '127.0.0.1';
const REPORTING_MTA = 'localhost';
const SIMULATOR_DOMAIN = 'simulator.amazonses.com';
const SIMULATOR_USER_AGENT = 'Amazon SES Mailbox Simulator';
const SUPPRESSED_DIAGNOSTIC =
  'Amazon SES has suppressed sending to this address because it has a recent history of bouncing as an invalid address. ' +
  'For more information about how to remove an address from the suppression list, see the Amazon SES Developer Guide: ' +
  'https://docs.aws.amazon.com/ses/latest/DeveloperGuide/remove-from-suppressionlist.html';

/** The SES v2 SendEmail request as it travels (REST-JSON: blobs are base64 strings). */
export interface SendEmailWire {
  FromEmailAddress?: string;
  Destination?: { ToAddresses?: string[]; CcAddresses?: string[]; BccAddresses?: string[] };
  ReplyToAddresses?: string[];
  ConfigurationSetName?: string;
  EmailTags?: { Name: string; Value: string }[];
  Content?: {
    Simple?: {
      Subject?: { Data?: string };
      Body?: { Text?: { Data?: string }; Html?: { Data?: string } };
      Headers?: { Name: string; Value: string }[];
    };
    Raw?: { Data?: string };
    Template?: { TemplateContent?: { Subject?: string }; Headers?: { Name: string; Value: string }[] };
  };
}

export interface MailHeader {
  name: string;
  value: string;
}

export interface CommonHeaders {
  from: string[];
  replyTo?: string[];
  date?: string;
  to?: string[];
  cc?: string[];
  bcc?: string[];
  messageId: string;
  subject?: string;
}

/** The `mail` object of every event record. */
export interface MailObject {
  timestamp: string;
  source: string;
  sourceArn: string;
  sendingAccountId: string;
  messageId: string;
  destination: string[];
  headersTruncated: boolean;
  headers: MailHeader[];
  commonHeaders: CommonHeaders;
  tags: Record<string, string[]>;
}

export type BounceSubType = 'General' | 'OnAccountSuppressionList';

/** An event to publish about a message; recipients default to all of its destination. */
export type SimulatedEvent =
  | { type: 'Send' }
  | { type: 'Delivery'; recipients: string[] }
  | { type: 'Bounce'; recipients: string[]; subType: BounceSubType }
  | { type: 'Complaint'; recipients: string[] }
  | { type: 'DeliveryDelay'; recipients: string[] }
  | { type: 'Reject' }
  | { type: 'Open' }
  | { type: 'Click'; link: string };

export type SesEventRecord = { eventType: SimulatedEvent['type'] } & Record<string, unknown>;

const flatten = (list: AddressObject | AddressObject[] | undefined): EmailAddress[] =>
  (Array.isArray(list) ? list : list ? [list] : []).flatMap((o) => o.value).flatMap((a) => (a.group ? a.group : [a]));

/** `Name <address>` as SES shows addresses in commonHeaders, quoting names that need it. */
function formatAddress(address: EmailAddress): string {
  if (!address.name) return address.address ?? '';
  const name = /[",;:<>@()[\]\\]/.test(address.name) ? `"${address.name.replace(/["\\]/g, '\\$&')}"` : address.name;
  return `${name} <${address.address}>`;
}

function headerBlock(raw: Buffer): Buffer {
  const text = raw.toString('latin1');
  const end = text.search(/\r?\n\r?\n/);
  return end === -1 ? raw : raw.subarray(0, end);
}

/** Parses a header block only: the body (attachments) is irrelevant to the event records. */
async function parseHeaders(block: Buffer | string) {
  const parsed = await simpleParser(Buffer.concat([Buffer.from(block), Buffer.from('\r\n\r\n')]), {
    skipHtmlToText: true,
    skipTextToHtml: true,
    skipImageLinks: true,
    skipTextLinks: true,
  });
  const headers = parsed.headerLines.map(({ line }) => {
    const unfolded = line.replace(/\r?\n(?=[ \t])/g, '');
    const colon = unfolded.indexOf(':');
    return { name: unfolded.slice(0, colon), value: unfolded.slice(colon + 1).trim() };
  });
  return { parsed, headers };
}

async function addressesOf(list: readonly string[]): Promise<EmailAddress[]> {
  if (list.length === 0) return [];
  const { parsed } = await parseHeaders(`To: ${list.join(', ')}`);
  return flatten(parsed.to);
}

/** Simple and template content carry their headers as fields: lay them out as the MIME header SES builds. */
function synthesizedHeaders(request: SendEmailWire): string {
  const simple = request.Content?.Simple;
  const template = request.Content?.Template;
  const destination = request.Destination ?? {};
  const lines = [`From: ${request.FromEmailAddress ?? ''}`];
  if (request.ReplyToAddresses?.length) lines.push(`Reply-To: ${request.ReplyToAddresses.join(', ')}`);
  if (destination.ToAddresses?.length) lines.push(`To: ${destination.ToAddresses.join(', ')}`);
  if (destination.CcAddresses?.length) lines.push(`Cc: ${destination.CcAddresses.join(', ')}`);
  const subject = simple?.Subject?.Data ?? template?.TemplateContent?.Subject;
  if (subject !== undefined) lines.push(`Subject: ${subject}`);
  lines.push('MIME-Version: 1.0');
  const alternative = simple ? simple.Body?.Text && simple.Body?.Html : true;
  lines.push(alternative ? 'Content-Type: multipart/alternative' : `Content-Type: ${simple?.Body?.Html ? 'text/html' : 'text/plain'}; charset=UTF-8`);
  for (const header of simple?.Headers ?? template?.Headers ?? []) lines.push(`${header.Name}: ${header.Value}`);
  return lines.join('\r\n');
}

/**
 * The `mail` object SES reports for an accepted SendEmail: headers from the raw MIME (or laid out from
 * simple/template content), recipients from Destination (for raw content, from To/Cc/Bcc when Destination
 * is absent), tags from EmailTags plus the ones SES adds.
 */
export async function describeMail(
  request: SendEmailWire,
  messageId: string,
  options: { configurationSetName?: string; sourceArn: (source: string) => string; now?: Date },
): Promise<MailObject> {
  const raw = request.Content?.Raw?.Data;
  const block = raw !== undefined ? headerBlock(Buffer.from(raw, 'base64')) : synthesizedHeaders(request);
  const { parsed, headers } = await parseHeaders(block);
  const destinationList = request.Destination;
  const recipients = destinationList
    ? await addressesOf([...(destinationList.ToAddresses ?? []), ...(destinationList.CcAddresses ?? []), ...(destinationList.BccAddresses ?? [])])
    : [...flatten(parsed.to), ...flatten(parsed.cc), ...flatten(parsed.bcc)];
  const from = flatten(parsed.from);
  const source = (request.FromEmailAddress ? (await addressesOf([request.FromEmailAddress]))[0]?.address : from[0]?.address) ?? '';
  const commonHeaders: CommonHeaders = { from: from.map(formatAddress), messageId };
  const list = (name: 'replyTo' | 'to' | 'cc' | 'bcc', value: AddressObject | AddressObject[] | undefined) => {
    const addresses = flatten(value);
    if (addresses.length) commonHeaders[name] = addresses.map(formatAddress);
  };
  list('replyTo', parsed.replyTo);
  const date = headers.find((h) => h.name.toLowerCase() === 'date')?.value;
  if (date) commonHeaders.date = date;
  list('to', parsed.to);
  list('cc', parsed.cc);
  list('bcc', parsed.bcc);
  if (parsed.subject !== undefined) commonHeaders.subject = parsed.subject;

  const tags: Record<string, string[]> = {};
  if (options.configurationSetName) tags['ses:configuration-set'] = [options.configurationSetName];
  tags['ses:source-ip'] = [LOCAL_IP];
  tags['ses:from-domain'] = [source.split('@')[1] ?? ''];
  tags['ses:caller-identity'] = ['local'];
  for (const tag of request.EmailTags ?? []) tags[tag.Name] = [tag.Value];

  return {
    timestamp: (options.now ?? new Date()).toISOString(),
    source,
    sourceArn: options.sourceArn(source),
    sendingAccountId: LOCAL_ACCOUNT_ID,
    messageId,
    destination: [...new Set(recipients.map((r) => r.address ?? '').filter(Boolean))],
    headersTruncated: false,
    headers,
    commonHeaders,
    tags,
  };
}

/** What the SES mailbox simulator does with a recipient, in order (`bounce+label@…` behaves like `bounce@…`). */
export function mailboxOutcomes(recipient: string): SimulatedEvent[] {
  const [local = '', domain = ''] = recipient.toLowerCase().split('@');
  const mailbox = domain === SIMULATOR_DOMAIN ? local.split('+')[0] : undefined;
  switch (mailbox) {
    case 'bounce':
      return [{ type: 'Bounce', recipients: [recipient], subType: 'General' }];
    case 'suppressionlist':
      return [{ type: 'Bounce', recipients: [recipient], subType: 'OnAccountSuppressionList' }];
    case 'complaint':
      return [
        { type: 'Delivery', recipients: [recipient] },
        { type: 'Complaint', recipients: [recipient] },
      ];
    default:
      // success@ and ooto@ (whose auto-reply is not simulated) are delivered, like any other address.
      return [{ type: 'Delivery', recipients: [recipient] }];
  }
}

/**
 * The events SES publishes for an accepted message, in phases: Send, then each recipient's first outcome,
 * then the later ones (the complaint after the delivery).
 */
export function simulatedPhases(mail: MailObject): SimulatedEvent[][] {
  const perRecipient = mail.destination.map(mailboxOutcomes);
  const phases: SimulatedEvent[][] = [[{ type: 'Send' }]];
  for (let step = 0; perRecipient.some((outcomes) => outcomes[step]); step++) {
    phases.push(perRecipient.flatMap((outcomes) => (outcomes[step] ? [outcomes[step]] : [])));
  }
  return phases;
}

/** A feedback id in SES's format. */
const feedbackId = () => `0100${randomBytes(6).toString('hex')}-${randomUUID()}-000000`;

/** The event record for `event`, shaped like the fixture of its type (some types carry less of `mail`). */
export function eventRecord(event: SimulatedEvent, mail: MailObject, now = new Date()): SesEventRecord {
  const timestamp = now.toISOString();
  const { sourceArn: _sourceArn, ...mailWithoutArn } = mail;
  const { headers: _headers, commonHeaders: _commonHeaders, ...mailWithoutHeaders } = mail;
  switch (event.type) {
    case 'Send':
      return { eventType: 'Send', mail, send: {} };
    case 'Delivery':
      return {
        eventType: 'Delivery',
        mail: { ...mail, tags: { ...mail.tags, 'ses:outgoing-ip': [LOCAL_IP] } },
        delivery: {
          timestamp,
          processingTimeMillis: Math.max(0, now.getTime() - Date.parse(mail.timestamp)),
          recipients: event.recipients,
          smtpResponse: '250 2.6.0 Message received',
          reportingMTA: REPORTING_MTA,
        },
      };
    case 'Bounce':
      return {
        eventType: 'Bounce',
        bounce: {
          bounceType: 'Permanent',
          bounceSubType: event.subType,
          bouncedRecipients: event.recipients.map((emailAddress) => ({
            emailAddress,
            action: 'failed',
            status: '5.1.1',
            diagnosticCode: event.subType === 'General' ? 'smtp; 550 5.1.1 user unknown' : SUPPRESSED_DIAGNOSTIC,
          })),
          timestamp,
          feedbackId: feedbackId(),
          reportingMTA: `dsn; ${REPORTING_MTA}`,
        },
        mail,
      };
    case 'Complaint':
      return {
        eventType: 'Complaint',
        complaint: {
          complainedRecipients: event.recipients.map((emailAddress) => ({ emailAddress })),
          timestamp,
          feedbackId: feedbackId(),
          userAgent: SIMULATOR_USER_AGENT,
          complaintFeedbackType: 'abuse',
          arrivalDate: timestamp,
        },
        mail,
      };
    case 'DeliveryDelay':
      return {
        eventType: 'DeliveryDelay',
        mail: mailWithoutHeaders,
        deliveryDelay: {
          timestamp,
          delayType: 'TransientCommunicationFailure',
          // SES keeps retrying a delayed message for up to 14 hours by default.
          expirationTime: new Date(now.getTime() + 14 * 3600_000).toISOString(),
          delayedRecipients: event.recipients.map((emailAddress) => ({
            emailAddress,
            status: '4.4.1',
            diagnosticCode: 'smtp; 421 4.4.1 Unable to connect to remote host',
          })),
        },
      };
    case 'Reject':
      return { eventType: 'Reject', mail, reject: { reason: 'Bad content' } };
    case 'Open':
      return { eventType: 'Open', mail: mailWithoutArn, open: { ipAddress: LOCAL_IP, timestamp, userAgent: SIMULATOR_USER_AGENT } };
    case 'Click':
      return {
        eventType: 'Click',
        click: { ipAddress: LOCAL_IP, link: event.link, linkTags: {}, timestamp, userAgent: SIMULATOR_USER_AGENT },
        mail: mailWithoutArn,
      };
  }
}

/** SES v2 event type names, as configuration-set event destinations match them. */
export const MATCHING_TYPE: Record<SimulatedEvent['type'], string> = {
  Send: 'SEND',
  Delivery: 'DELIVERY',
  Bounce: 'BOUNCE',
  Complaint: 'COMPLAINT',
  DeliveryDelay: 'DELIVERY_DELAY',
  Reject: 'REJECT',
  Open: 'OPEN',
  Click: 'CLICK',
};
