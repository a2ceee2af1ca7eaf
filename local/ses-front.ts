/**
 * The local SES v2 endpoint. aws-ses-v2-local captures sent mail and serves the mail viewer, but knows
 * nothing of identities, configuration sets or events. This front answers those SES v2 REST-JSON operations
 * itself, with SES's error shapes, and proxies everything else (SendEmail, the viewer, /store…) to it.
 * After a SendEmail is accepted, it publishes the SES event records the configuration set's SNS event
 * destinations ask for, as SES does, driven by the mailbox-simulator addresses (local/ses-simulator.ts).
 *
 * Identities, configuration sets and recent messages persist in a JSON file when one is given.
 * Local verification: GetEmailIdentity verifies a pending identity unless `autoVerify` is off. Admin routes
 * (not SES) let tests and developers drive what SES would decide:
 *   POST /_mailroom/identities/{name}/status  {"dkim": "SUCCESS"|"FAILED"|"PENDING"|…, "mailFrom"?: …}
 *   POST /_mailroom/messages/{messageId}/events  {"type": "Open"|"Click"|"DeliveryDelay"|"Reject"|…, "link"?, "recipient"?}
 *   GET  /_mailroom/messages/{messageId}          the message's SES `mail` object (headers included)
 * and inject faults into SendEmail (in memory only, for fault tests and trying a client's error handling):
 *   POST   /_mailroom/faults  {"fault": "throttle"|"server_error"|"hang"|"hang_after_accept"|"drop_after_accept",
 *                              "count"?: n, "recipient"?: address, "configurationSet"?: name}
 *          the next `count` (1) SendEmail calls that match fail that way: throttle answers 429
 *          TooManyRequestsException, server_error 500 InternalFailure, hang holds the call before SES sees it,
 *          hang_after_accept lets SES accept (and capture) the mail, then holds the answer, drop_after_accept
 *          lets SES accept it, then breaks the connection instead of answering
 *   GET    /_mailroom/faults  the faults still pending and how many calls are held
 *   DELETE /_mailroom/faults[/{id}]  drops pending faults (all, or the one) and lets the calls they hold go on
 *          as if nothing happened
 *   GET    /_mailroom/send-calls?recipient=…  the SendEmail calls received (latest 1,000) and what became of each
 */
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import * as z from 'zod';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { LOCAL_AWS } from './aws-env.js';
import { listenOn, withoutHopByHop } from './http-helpers.js';
import {
  LOCAL_ACCOUNT_ID,
  MATCHING_TYPE,
  describeMail,
  eventRecord,
  simulatedPhases,
  type MailObject,
  type SendEmailWire,
  type SimulatedEvent,
} from './ses-simulator.js';

type CheckStatus = 'PENDING' | 'SUCCESS' | 'FAILED' | 'TEMPORARY_FAILURE' | 'NOT_STARTED';
const CHECK_STATUS = z.enum(['PENDING', 'SUCCESS', 'FAILED', 'TEMPORARY_FAILURE', 'NOT_STARTED']);

interface Identity {
  name: string;
  type: 'DOMAIN' | 'EMAIL_ADDRESS';
  createdAt: number;
  /** DKIM status for domains; the verification status for email addresses. */
  status: CheckStatus;
  dkimTokens: string[];
  mailFrom?: { domain: string; behavior: string; status: CheckStatus };
  configurationSetName?: string;
  tags: { Key: string; Value: string }[];
  lastCheckedAt?: number;
  lastSuccessAt?: number;
  /** Set by the admin route: auto-verification leaves the identity as it was put. */
  pinned: boolean;
}

interface EventDestination {
  Name: string;
  Enabled: boolean;
  MatchingEventTypes: string[];
  SnsDestination?: { TopicArn: string };
  [other: string]: unknown;
}

interface ConfigurationSet {
  name: string;
  /** The CreateConfigurationSet request's options, echoed by GetConfigurationSet. */
  options: Record<string, unknown>;
  destinations: EventDestination[];
}

interface SentMessage {
  mail: MailObject;
  configurationSetName?: string;
}

interface FrontState {
  identities: Record<string, Identity>;
  configurationSets: Record<string, ConfigurationSet>;
  messages: SentMessage[];
}

/** Messages kept for later Open/Click/… events; older ones are forgotten. */
const MAX_MESSAGES = 1000;
/** SendEmail calls kept in the fault log (GET /_mailroom/send-calls); older ones are forgotten. */
const MAX_SEND_CALLS = 1000;
const MAX_BODY_BYTES = 50 * 1024 * 1024;

export interface SesFront {
  endpoint: string;
  port: number;
  stop(): Promise<void>;
}

export interface SesFrontOptions {
  port: number;
  /** The aws-ses-v2-local server everything else is proxied to. */
  upstream: string;
  /** Where SNS topics live (fauxqs). */
  snsEndpoint: string;
  region?: string;
  /** JSON file for identities, configuration sets and recent messages; in memory without one. */
  stateFile?: string;
  /** GetEmailIdentity verifies pending identities (no DNS locally). */
  autoVerify: boolean;
  /** Pause between accepting a message and each phase of its events. */
  eventDelayMs?: number;
  onError?: (error: unknown) => void;
}

class SesError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const notFound = (message: string) => new SesError('NotFoundException', 404, message);
const alreadyExists = (message: string) => new SesError('AlreadyExistsException', 400, message);
const badRequest = (message: string) => new SesError('BadRequestException', 400, message);

function loadState(file: string | undefined): FrontState {
  const empty: FrontState = { identities: {}, configurationSets: {}, messages: [] };
  if (!file || !existsSync(file)) return empty;
  return { ...empty, ...JSON.parse(readFileSync(file, 'utf8')) };
}

/** Easy DKIM tokens look like SES's: 32 lowercase base32 characters. */
function dkimToken(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  return [...randomBytes(32)].map((byte) => alphabet[byte % 32]).join('');
}

const readBody = (req: IncomingMessage): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) req.destroy(new Error('request body too large'));
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });

function parseJson(body: Buffer): Record<string, unknown> {
  if (body.length === 0) return {};
  try {
    const value = JSON.parse(body.toString('utf8'));
    if (value && typeof value === 'object' && !Array.isArray(value)) return value;
  } catch {
    // Falls through to the SES error below.
  }
  throw new SesError('SerializationException', 400, 'The request body is not a JSON object.');
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-requestid': randomUUID(), 'content-length': Buffer.byteLength(payload), ...headers });
  res.end(payload);
}

/** SES's REST-JSON error: the SDK reads the code from x-amzn-ErrorType and the message from the body. */
function sendError(res: ServerResponse, error: SesError) {
  send(res, error.status, { message: error.message }, { 'x-amzn-errortype': error.code });
}

interface Upstream {
  status: number;
  headers: Record<string, string | string[]>;
  body: Buffer;
}

function forward(upstream: URL, req: IncomingMessage, body: Buffer): Promise<Upstream> {
  // The body is forwarded buffered, with its own length.
  const headers = withoutHopByHop(req.headers, ['content-length']);
  return new Promise((resolve, reject) => {
    const out = httpRequest(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...headers, 'content-length': String(body.length) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const responseHeaders = withoutHopByHop(res.headers, ['content-length']) as Record<string, string | string[]>;
          resolve({ status: res.statusCode ?? 502, headers: responseHeaders, body: Buffer.concat(chunks) });
        });
        res.on('error', reject);
      },
    );
    out.on('error', reject);
    out.end(body);
  });
}

export const FAULT_KINDS = ['throttle', 'server_error', 'hang', 'hang_after_accept', 'drop_after_accept'] as const;
const AdminFaultBody = z.strictObject({
  fault: z.enum(FAULT_KINDS),
  count: z.int().min(1).default(1),
  /** Only calls with this address among their destinations. */
  recipient: z.email().optional(),
  /** Only calls that use this configuration set. */
  configurationSet: z.string().min(1).optional(),
});
type Fault = z.output<typeof AdminFaultBody> & { id: string };

/** One SendEmail call the front received. */
export interface SendCall {
  at: string;
  from?: string;
  destination: string[];
  configurationSetName?: string;
  fault?: Fault['fault'];
  /** accepted: SES has the mail; refused: answered with an error; pending: held before SES saw it; dropped: the caller left while held. */
  status: 'pending' | 'accepted' | 'refused' | 'dropped';
  /** Whether the caller got its answer (false while held, or forever if it left). */
  answered: boolean;
  messageId?: string;
}

const AdminStatusBody = z.strictObject({ dkim: CHECK_STATUS, mailFrom: CHECK_STATUS.optional() });
const AdminEventBody = z.strictObject({
  type: z.enum(['Send', 'Delivery', 'Bounce', 'Complaint', 'DeliveryDelay', 'Reject', 'Open', 'Click']),
  link: z.string().min(1).optional(),
  recipient: z.string().min(1).optional(),
  bounceSubType: z.enum(['General', 'OnAccountSuppressionList']).optional(),
});

export async function startSesFront(options: SesFrontOptions): Promise<SesFront> {
  const region = options.region ?? LOCAL_AWS.region;
  const eventDelayMs = options.eventDelayMs ?? 100;
  const upstream = new URL(options.upstream);
  const sns = new SNSClient({ endpoint: options.snsEndpoint, ...LOCAL_AWS, region });
  const reportError = options.onError ?? ((error: unknown) => process.stderr.write(`ses front: ${(error as Error).message}\n`));
  const state = loadState(options.stateFile);
  const timers = new Set<NodeJS.Timeout>();
  const publishing = new Set<Promise<unknown>>();
  const faults: Fault[] = [];
  const calls: SendCall[] = [];
  /** Resolvers of the calls hang faults hold, with the id of the fault that holds each. */
  const held = new Map<() => void, string>();
  let stopped = false;

  const save = () => {
    if (!options.stateFile) return;
    writeFileSync(`${options.stateFile}.tmp`, JSON.stringify(state));
    renameSync(`${options.stateFile}.tmp`, options.stateFile);
  };

  const identityArn = (name: string) => `arn:aws:ses:${region}:${LOCAL_ACCOUNT_ID}:identity/${name}`;
  /** The identity a sender address sends as: the address itself if verified on its own, else its domain. */
  const identityFor = (address: string): Identity | undefined => {
    const lower = address.toLowerCase();
    return state.identities[lower] ?? state.identities[lower.split('@')[1] ?? ''];
  };

  function identityByName(name: string): Identity {
    const identity = state.identities[name.toLowerCase()];
    if (!identity) throw notFound(`Email identity ${name} does not exist.`);
    return identity;
  }

  function configurationSet(name: string): ConfigurationSet {
    const set = state.configurationSets[name];
    if (!set) throw notFound(`Configuration set ${name} does not exist.`);
    return set;
  }

  const verified = (identity: Identity) => identity.status === 'SUCCESS';

  function autoVerify(identity: Identity) {
    if (!options.autoVerify || identity.pinned) return;
    const now = Math.floor(Date.now() / 1000);
    if (identity.status === 'PENDING' || identity.status === 'NOT_STARTED') {
      identity.status = 'SUCCESS';
      identity.lastSuccessAt = now;
    }
    if (identity.mailFrom?.status === 'PENDING') identity.mailFrom.status = 'SUCCESS';
    identity.lastCheckedAt = now;
    save();
  }

  function dkimAttributes(identity: Identity) {
    if (identity.type === 'EMAIL_ADDRESS') return { SigningEnabled: false, Status: 'NOT_STARTED', Tokens: [] };
    return {
      SigningEnabled: true,
      Status: identity.status,
      Tokens: identity.dkimTokens,
      SigningAttributesOrigin: 'AWS_SES',
      NextSigningKeyLength: 'RSA_2048_BIT',
      CurrentSigningKeyLength: 'RSA_2048_BIT',
      LastKeyGenerationTimestamp: identity.createdAt,
    };
  }

  function describeIdentity(identity: Identity) {
    return {
      IdentityType: identity.type,
      FeedbackForwardingStatus: true,
      VerifiedForSendingStatus: verified(identity),
      DkimAttributes: dkimAttributes(identity),
      ...(identity.mailFrom && {
        MailFromAttributes: {
          MailFromDomain: identity.mailFrom.domain,
          MailFromDomainStatus: identity.mailFrom.status,
          BehaviorOnMxFailure: identity.mailFrom.behavior,
        },
      }),
      Policies: {},
      Tags: identity.tags,
      ...(identity.configurationSetName && { ConfigurationSetName: identity.configurationSetName }),
      VerificationStatus: identity.status,
      VerificationInfo: {
        ...(identity.lastCheckedAt && { LastCheckedTimestamp: identity.lastCheckedAt }),
        ...(identity.lastSuccessAt && { LastSuccessTimestamp: identity.lastSuccessAt }),
      },
    };
  }

  function createIdentity(body: Record<string, unknown>) {
    const name = typeof body.EmailIdentity === 'string' ? body.EmailIdentity.trim().toLowerCase() : '';
    if (!name) throw badRequest('EmailIdentity is required.');
    const dkim = body.DkimSigningAttributes as { DomainSigningPrivateKey?: string } | undefined;
    if (dkim?.DomainSigningPrivateKey) throw badRequest('The local SES front supports Easy DKIM only (no DomainSigningPrivateKey).');
    if (state.identities[name]) throw alreadyExists(`Email identity ${name} already exists.`);
    const configurationSetName = typeof body.ConfigurationSetName === 'string' ? body.ConfigurationSetName : undefined;
    if (configurationSetName) configurationSet(configurationSetName);
    const type = name.includes('@') ? 'EMAIL_ADDRESS' : 'DOMAIN';
    const identity: Identity = {
      name,
      type,
      createdAt: Math.floor(Date.now() / 1000),
      status: 'PENDING',
      dkimTokens: type === 'DOMAIN' ? [dkimToken(), dkimToken(), dkimToken()] : [],
      configurationSetName,
      tags: Array.isArray(body.Tags) ? (body.Tags as Identity['tags']) : [],
      pinned: false,
    };
    state.identities[name] = identity;
    save();
    return { IdentityType: type, VerifiedForSendingStatus: false, DkimAttributes: dkimAttributes(identity) };
  }

  function putMailFrom(name: string, body: Record<string, unknown>) {
    const identity = identityByName(name);
    const domain = typeof body.MailFromDomain === 'string' ? body.MailFromDomain.toLowerCase() : '';
    if (!domain) {
      delete identity.mailFrom;
    } else {
      if (identity.type !== 'DOMAIN' || !domain.endsWith(`.${identity.name}`)) {
        throw badRequest(`The MAIL FROM domain ${domain} must be a subdomain of ${identity.name}.`);
      }
      const behavior = typeof body.BehaviorOnMxFailure === 'string' ? body.BehaviorOnMxFailure : 'USE_DEFAULT_VALUE';
      if (!['USE_DEFAULT_VALUE', 'REJECT_MESSAGE'].includes(behavior)) throw badRequest(`Invalid BehaviorOnMxFailure ${behavior}.`);
      identity.mailFrom = { domain, behavior, status: 'PENDING' };
    }
    save();
    return {};
  }

  function createConfigurationSet(body: Record<string, unknown>) {
    const { ConfigurationSetName: name, ...rest } = body;
    if (typeof name !== 'string' || !name) throw badRequest('ConfigurationSetName is required.');
    if (state.configurationSets[name]) throw alreadyExists(`Configuration set ${name} already exists.`);
    state.configurationSets[name] = { name, options: rest, destinations: [] };
    save();
    return {};
  }

  function eventDestination(name: string, body: Record<string, unknown>): EventDestination {
    const destination = (body.EventDestination ?? {}) as Partial<EventDestination>;
    const types = destination.MatchingEventTypes;
    if (!Array.isArray(types) || types.length === 0) throw badRequest('EventDestination.MatchingEventTypes must list at least one event type.');
    return { ...destination, Name: name, Enabled: destination.Enabled ?? false, MatchingEventTypes: types };
  }

  function createEventDestination(setName: string, body: Record<string, unknown>) {
    const set = configurationSet(setName);
    const name = typeof body.EventDestinationName === 'string' ? body.EventDestinationName : '';
    if (!name) throw badRequest('EventDestinationName is required.');
    if (set.destinations.some((d) => d.Name === name)) throw alreadyExists(`Event destination ${name} already exists in ${setName}.`);
    set.destinations.push(eventDestination(name, body));
    save();
    return {};
  }

  function updateEventDestination(setName: string, name: string, body: Record<string, unknown>) {
    const set = configurationSet(setName);
    const index = set.destinations.findIndex((d) => d.Name === name);
    if (index === -1) throw notFound(`Event destination ${name} does not exist in ${setName}.`);
    set.destinations[index] = eventDestination(name, body);
    save();
    return {};
  }

  /** Publishes `events` of a message to every enabled SNS destination of its configuration set that matches. */
  async function publish(message: SentMessage, events: SimulatedEvent[]): Promise<number> {
    const set = message.configurationSetName ? state.configurationSets[message.configurationSetName] : undefined;
    let published = 0;
    for (const event of events) {
      const topics = (set?.destinations ?? [])
        .filter((d) => d.Enabled && d.SnsDestination?.TopicArn && d.MatchingEventTypes.includes(MATCHING_TYPE[event.type]))
        .map((d) => d.SnsDestination!.TopicArn);
      if (topics.length === 0) continue;
      const record = JSON.stringify(eventRecord(event, message.mail));
      for (const topic of topics) await sns.send(new PublishCommand({ TopicArn: topic, Message: record }));
      published++;
    }
    return published;
  }

  const track = <T>(promise: Promise<T>) => {
    publishing.add(promise);
    void promise.finally(() => publishing.delete(promise));
    return promise;
  };

  /** After the send has been answered: one phase per delay, as SES's events trail the accepted send. */
  function scheduleEvents(message: SentMessage) {
    const phases = simulatedPhases(message.mail);
    const run = (index: number) => {
      if (stopped) return;
      const timer = setTimeout(() => {
        timers.delete(timer);
        track(publish(message, phases[index]!))
          .catch(reportError)
          .finally(() => {
            if (index + 1 < phases.length) run(index + 1);
          });
      }, eventDelayMs);
      timers.add(timer);
    };
    run(0);
  }

  function remember(message: SentMessage) {
    state.messages.push(message);
    if (state.messages.length > MAX_MESSAGES) state.messages.splice(0, state.messages.length - MAX_MESSAGES);
    save();
  }

  const destinationOf = (request: SendEmailWire) =>
    [...(request.Destination?.ToAddresses ?? []), ...(request.Destination?.CcAddresses ?? []), ...(request.Destination?.BccAddresses ?? [])].map((a) =>
      a.toLowerCase(),
    );

  function recordCall(request: SendEmailWire, configurationSetName: string | undefined): SendCall {
    const call: SendCall = { at: new Date().toISOString(), from: request.FromEmailAddress, destination: destinationOf(request), configurationSetName, status: 'pending', answered: false };
    calls.push(call);
    if (calls.length > MAX_SEND_CALLS) calls.splice(0, calls.length - MAX_SEND_CALLS);
    return call;
  }

  /** The first pending fault that applies to the call, used up by one. */
  function takeFault(call: SendCall): Fault | undefined {
    const index = faults.findIndex(
      (f) => (!f.recipient || call.destination.includes(f.recipient.toLowerCase())) && (!f.configurationSet || f.configurationSet === call.configurationSetName),
    );
    if (index === -1) return undefined;
    const fault = faults[index]!;
    if (--fault.count === 0) faults.splice(index, 1);
    return fault;
  }

  /** Holds a call until its fault is cleared: true then, false if the caller left or the front stopped first. */
  function hold(res: ServerResponse, fault: Fault): Promise<boolean> {
    return new Promise((resolve) => {
      const end = (goOn: boolean) => {
        held.delete(release);
        res.off('close', left);
        resolve(goOn && !stopped);
      };
      const release = () => end(true);
      // Nothing has been written yet, so a close now means the caller went away.
      const left = () => end(false);
      held.set(release, fault.id);
      res.once('close', left);
    });
  }

  /** Answers the call with an error of the front's own or the one SES answered. */
  function refuse(res: ServerResponse, call: SendCall, error: SesError | Upstream) {
    call.status = 'refused';
    call.answered = true;
    if (error instanceof SesError) sendError(res, error);
    else relay(res, error);
  }

  async function sendEmail(req: IncomingMessage, res: ServerResponse, body: Buffer) {
    let request: SendEmailWire;
    try {
      request = parseJson(body) as SendEmailWire;
    } catch {
      // Malformed: let the emulator answer as it does.
      return relay(res, await forward(upstream, req, body));
    }
    const source = request.FromEmailAddress;
    // As on SES, a send without a configuration set uses its identity's default one.
    const configurationSetName = request.ConfigurationSetName ?? (source ? identityFor(source)?.configurationSetName : undefined);
    const call = recordCall(request, configurationSetName);
    const fault = takeFault(call);
    call.fault = fault?.fault;
    if (fault?.fault === 'throttle') return refuse(res, call, new SesError('TooManyRequestsException', 429, 'Maximum sending rate exceeded.'));
    if (fault?.fault === 'server_error') return refuse(res, call, new SesError('InternalFailure', 500, 'The request processing has failed because of an unknown error.'));
    if (fault?.fault === 'hang' && !(await hold(res, fault))) {
      // The caller gave up (or the front stopped) before SES saw the mail: SES never gets it.
      call.status = 'dropped';
      return;
    }
    if (request.ConfigurationSetName && !state.configurationSets[request.ConfigurationSetName]) {
      return refuse(res, call, notFound(`Configuration set ${request.ConfigurationSetName} does not exist.`));
    }
    const answer = await forward(upstream, req, body);
    if (answer.status !== 200) return refuse(res, call, answer);
    const { MessageId } = JSON.parse(answer.body.toString('utf8')) as { MessageId: string };
    call.status = 'accepted';
    call.messageId = MessageId;
    let mail: MailObject;
    try {
      mail = await describeMail(request, MessageId, {
        configurationSetName,
        sourceArn: (address) => identityArn(identityFor(address)?.name ?? address.split('@')[1] ?? address),
      });
    } catch (error) {
      // The mail was captured: answer as SES did, only without events, so the caller never sends it twice.
      reportError(error);
      call.answered = true;
      return relay(res, answer);
    }
    const message: SentMessage = { mail, configurationSetName };
    // Known before the caller has the message id, so the admin route can act on it at once.
    remember(message);
    if (fault?.fault === 'hang_after_accept' || fault?.fault === 'drop_after_accept') {
      // SES has the mail and goes on with it whether or not its answer ever arrives.
      scheduleEvents(message);
      if (fault.fault === 'drop_after_accept') return void res.destroy();
      if (!(await hold(res, fault))) return;
    } else {
      // Events only after the caller has its answer: SES's events always trail the accepted send.
      res.once('finish', () => scheduleEvents(message));
    }
    call.answered = true;
    relay(res, answer);
  }

  function addFault(body: Record<string, unknown>) {
    const parsed = AdminFaultBody.safeParse(body);
    if (!parsed.success) throw badRequest(z.prettifyError(parsed.error));
    const fault: Fault = { ...parsed.data, id: randomUUID() };
    faults.push(fault);
    return fault;
  }

  /** Drops pending faults and releases the calls they hold: all of them, or those of fault `id`. */
  function clearFaults(id?: string) {
    const releases = [...held].filter(([, faultId]) => !id || faultId === id).map(([release]) => release);
    const before = faults.length;
    faults.splice(0, faults.length, ...faults.filter((f) => id && f.id !== id));
    const cleared = before - faults.length;
    if (id && cleared === 0 && releases.length === 0) throw notFound(`No fault ${id} is pending or holding calls.`);
    for (const release of releases) release();
    return { cleared, released: releases.length };
  }

  function sendCalls(req: IncomingMessage) {
    const recipient = new URL(req.url ?? '/', 'http://front').searchParams.get('recipient')?.toLowerCase();
    return { calls: recipient ? calls.filter((c) => c.destination.includes(recipient)) : calls };
  }

  function relay(res: ServerResponse, answer: Upstream) {
    res.writeHead(answer.status, { ...answer.headers, 'content-length': answer.body.length });
    res.end(answer.body);
  }

  /** SES's `mail` object of a sent message (with its headers), as its events carry it. */
  function sentMessage(messageId: string) {
    const message = state.messages.find((m) => m.mail.messageId === messageId);
    if (!message) throw notFound(`No message ${messageId} was sent through this SES front.`);
    return message;
  }

  async function adminEvent(messageId: string, body: Record<string, unknown>) {
    const parsed = AdminEventBody.safeParse(body);
    if (!parsed.success) throw badRequest(z.prettifyError(parsed.error));
    const message = state.messages.find((m) => m.mail.messageId === messageId);
    if (!message) throw notFound(`No message ${messageId} was sent through this SES front.`);
    const { type, link, recipient, bounceSubType } = parsed.data;
    if (recipient && !message.mail.destination.includes(recipient)) throw badRequest(`${recipient} is not a recipient of ${messageId}.`);
    const recipients = recipient ? [recipient] : message.mail.destination;
    if (type === 'Click' && !link) throw badRequest('A Click needs the link that was clicked.');
    const event: SimulatedEvent =
      type === 'Click'
        ? { type, link: link! }
        : type === 'Bounce'
          ? { type, recipients, subType: bounceSubType ?? 'General' }
          : type === 'Delivery' || type === 'Complaint' || type === 'DeliveryDelay'
            ? { type, recipients }
            : { type };
    return { published: await track(publish(message, [event])) };
  }

  function adminStatus(name: string, body: Record<string, unknown>) {
    const parsed = AdminStatusBody.safeParse(body);
    if (!parsed.success) throw badRequest(z.prettifyError(parsed.error));
    const identity = identityByName(name);
    const now = Math.floor(Date.now() / 1000);
    identity.status = parsed.data.dkim;
    identity.pinned = true;
    identity.lastCheckedAt = now;
    if (identity.status === 'SUCCESS') identity.lastSuccessAt = now;
    if (identity.mailFrom) {
      const follows: CheckStatus = parsed.data.dkim === 'SUCCESS' || parsed.data.dkim === 'FAILED' ? parsed.data.dkim : 'PENDING';
      identity.mailFrom.status = parsed.data.mailFrom ?? follows;
    }
    save();
    return describeIdentity(identity);
  }

  type Route = [method: string, pattern: RegExp, run: (match: string[], req: IncomingMessage, res: ServerResponse, body: Buffer) => Promise<unknown> | unknown];
  const json = (body: Buffer) => parseJson(body);
  const routes: Route[] = [
    ['POST', /^\/v2\/email\/identities$/, (_m, _req, _res, body) => createIdentity(json(body))],
    [
      'GET',
      /^\/v2\/email\/identities\/([^/]+)$/,
      ([name]) => {
        const identity = identityByName(name!);
        autoVerify(identity);
        return describeIdentity(identity);
      },
    ],
    [
      'DELETE',
      /^\/v2\/email\/identities\/([^/]+)$/,
      ([name]) => {
        delete state.identities[identityByName(name!).name];
        save();
        return {};
      },
    ],
    ['PUT', /^\/v2\/email\/identities\/([^/]+)\/mail-from$/, ([name], _req, _res, body) => putMailFrom(name!, json(body))],
    ['POST', /^\/v2\/email\/configuration-sets$/, (_m, _req, _res, body) => createConfigurationSet(json(body))],
    [
      'GET',
      /^\/v2\/email\/configuration-sets\/([^/]+)$/,
      ([name]) => {
        const set = configurationSet(name!);
        return { ConfigurationSetName: set.name, SendingOptions: { SendingEnabled: true }, Tags: [], ...set.options };
      },
    ],
    ['POST', /^\/v2\/email\/configuration-sets\/([^/]+)\/event-destinations$/, ([name], _req, _res, body) => createEventDestination(name!, json(body))],
    ['GET', /^\/v2\/email\/configuration-sets\/([^/]+)\/event-destinations$/, ([name]) => ({ EventDestinations: configurationSet(name!).destinations })],
    [
      'PUT',
      /^\/v2\/email\/configuration-sets\/([^/]+)\/event-destinations\/([^/]+)$/,
      ([set, name], _req, _res, body) => updateEventDestination(set!, name!, json(body)),
    ],
    [
      'GET',
      /^\/v2\/email\/account$/,
      () => ({
        DedicatedIpAutoWarmupEnabled: false,
        EnforcementStatus: 'HEALTHY',
        ProductionAccessEnabled: true,
        SendingEnabled: true,
        SendQuota: {
          Max24HourSend: 50_000,
          MaxSendRate: 14,
          SentLast24Hours: state.messages.filter((m) => Date.parse(m.mail.timestamp) > Date.now() - 86_400_000).length,
        },
      }),
    ],
    ['POST', /^\/v2\/email\/outbound-emails$/, (_m, req, res, body) => sendEmail(req, res, body)],
    ['POST', /^\/_mailroom\/identities\/([^/]+)\/status$/, ([name], _req, _res, body) => adminStatus(name!, json(body))],
    ['POST', /^\/_mailroom\/messages\/([^/]+)\/events$/, ([id], _req, _res, body) => adminEvent(id!, json(body))],
    ['GET', /^\/_mailroom\/messages\/([^/]+)$/, ([id]) => sentMessage(id!)],
    ['POST', /^\/_mailroom\/faults$/, (_m, _req, _res, body) => addFault(json(body))],
    ['GET', /^\/_mailroom\/faults$/, () => ({ faults, held: held.size })],
    ['DELETE', /^\/_mailroom\/faults$/, () => clearFaults()],
    ['DELETE', /^\/_mailroom\/faults\/([^/]+)$/, ([id]) => clearFaults(id)],
    ['GET', /^\/_mailroom\/send-calls$/, (_m, req) => sendCalls(req)],
  ];

  const server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const path = (req.url ?? '/').split('?')[0]!;
      for (const [method, pattern, run] of routes) {
        const match = req.method === method ? pattern.exec(path) : null;
        if (!match) continue;
        const result = await run(match.slice(1).map(decodeURIComponent), req, res, body);
        // A held call whose caller left has no one to answer.
        if (!res.headersSent && !res.destroyed) send(res, 200, result);
        return;
      }
      relay(res, await forward(upstream, req, body));
    })().catch((error: unknown) => {
      if (res.headersSent) return reportError(error);
      if (error instanceof SesError) return sendError(res, error);
      reportError(error);
      sendError(res, new SesError('InternalServiceErrorException', 500, (error as Error).message));
    });
  });

  await listenOn(server, options.port);
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    stop: async () => {
      stopped = true;
      // Held calls end without an answer: their connections close below.
      for (const release of [...held.keys()]) release();
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await Promise.allSettled([...publishing]);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      sns.destroy();
    },
  };
}
