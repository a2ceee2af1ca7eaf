/**
 * Receiving: one SES receipt (raw MIME already in S3 under `inbound/<ses message id>`) → a message in
 * each addressed inbox. Nothing is lost: a message that cannot be parsed is kept raw and marked
 * `unparsed`; an inbox over its storage quota keeps the raw message marked `over_quota`. Mail for
 * addresses no inbox owns is logged and dropped (never bounced: that would be backscatter).
 */
import PostalMime, { type Address, type Email } from 'postal-mime';
import { CopyObjectCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { s3 } from '../shared/clients.js';
import { config } from '../shared/config.js';
import { logger } from '../shared/logger.js';
import { deterministicId } from '../shared/ids.js';
import type { InboxMessage, MessageAttachment } from '../schemas/messages.js';
import { storeMessage } from '../repositories/messages.js';
import { putMailObject } from '../repositories/mail-store.js';
import { findThreadByMessageIds, findThreadBySubject, threadWrites } from '../repositories/threads.js';
import { addInboxStorage, findInboxByAddress, type Inbox } from '../repositories/inboxes.js';
import { extractReplyText, normalizeSubject, subjectThreadKey, threadCandidates } from './threading.js';
import { repairWindows1252 } from './html-text.js';
import { platformEvent, publishEvents } from './webhook-events.js';

export const INBOUND_PREFIX = 'inbound/';

/** What the receipt Lambda action hands to the inbound queue (SES's receipt, minus what we do not use). */
export interface InboundJob {
  ses_message_id: string;
  timestamp: string;
  recipients: string[];
  source: string | null;
  verdicts: { spam: string; virus: string; spf: string; dkim: string; dmarc: string };
}

/** The mailboxes of an address header, groups opened. */
const mailboxes = (value: Address | Address[] | undefined) =>
  (Array.isArray(value) ? value : value ? [value] : []).flatMap((address) => address.group ?? [address]).filter((mailbox) => mailbox.address);
const addressList = (value: Address | Address[] | undefined) => mailboxes(value).map((m) => (m.name ? `${m.name} <${m.address}>` : m.address));
const bareAddresses = (value: Address | Address[] | undefined) => mailboxes(value).map((m) => m.address.toLowerCase());

/** A text or HTML body without the line break postal-mime keeps from before the closing boundary (it belongs to the boundary). */
const partBody = (value: string | undefined) => (value === undefined ? null : value.replace(/\r?\n$/, ''));

/** `<id@host>`: Message-IDs are kept with their angle brackets (threads are found by them), whatever the sender wrote. */
function messageIdOf(value: string | undefined): string | null {
  const id = value?.trim();
  if (!id) return null;
  return `${id.startsWith('<') ? '' : '<'}${id}${id.endsWith('>') ? '' : '>'}`;
}

function matchesRule(sender: string, entries: string[]): boolean {
  const domain = sender.split('@')[1] ?? '';
  return entries.some((entry) => (entry.startsWith('@') ? domain === entry.slice(1).toLowerCase() : sender === entry.toLowerCase()));
}

/** `allowed`, or why not: a block rule matched, or an allow list exists and did not. */
function senderDecision(inbox: Inbox, sender: string | null): 'allowed' | 'blocked' {
  const { allow, block } = inbox.rules;
  if (!sender) return allow.length ? 'blocked' : 'allowed';
  if (matchesRule(sender, block)) return 'blocked';
  if (allow.length && !matchesRule(sender, allow)) return 'blocked';
  return 'allowed';
}

function verdictLabels(verdicts: InboundJob['verdicts']): string[] {
  const labels: string[] = [];
  if (verdicts.spam === 'FAIL') labels.push('spam');
  if (verdicts.virus === 'FAIL') labels.push('virus');
  if ([verdicts.spf, verdicts.dkim, verdicts.dmarc].includes('FAIL')) labels.push('auth-failed');
  return labels;
}

/** Charset labels (in a Content-Type or an encoded word) the runtime may decode as Latin-1 (see repairWindows1252). */
const LATIN1_DECODED_CHARSET = /charset\s*=\s*"?(?:windows-1252|cp1252|iso-8859-1|latin-?1|us-ascii|ascii)\b|=\?(?:windows-1252|cp1252|iso-8859-1|latin-?1|us-ascii)\?/i;

/** The texts a reader sees, with what the runtime may have decoded as Latin-1 read as windows-1252 (see repairWindows1252). */
function withWindows1252Repaired(email: Email): Email {
  const text = (value: string | undefined) => (value === undefined ? undefined : repairWindows1252(value));
  const address = (value: Address): Address =>
    value.group ? { ...value, name: repairWindows1252(value.name), group: value.group.map((m) => ({ ...m, name: repairWindows1252(m.name) })) } : { ...value, name: repairWindows1252(value.name) };
  return {
    ...email,
    subject: text(email.subject),
    text: text(email.text),
    html: text(email.html),
    from: email.from && address(email.from),
    to: email.to?.map(address),
    cc: email.cc?.map(address),
    attachments: email.attachments.map((a) => ({ ...a, filename: a.filename === null ? null : repairWindows1252(a.filename) })),
  };
}

/**
 * postal-mime: a dependency-free parser that decodes charsets with the runtime's TextDecoder (mailparser carries
 * iconv-lite's tables and its own html-to-text, over 1 MB in the inbound function's bundle). A message with HTML
 * only gets a text body generated from it.
 */
async function parse(raw: Buffer): Promise<Email | undefined> {
  try {
    const parsed = await PostalMime.parse(raw);
    // Bytes without any header are not a MIME message, however leniently they can be read.
    if (parsed.headers.length === 0) return undefined;
    // Only a message that names one of those charsets can have been misread; in any other, a C1 control is what was sent.
    return LATIN1_DECODED_CHARSET.test(raw.toString('latin1')) ? withWindows1252Repaired(parsed) : parsed;
  } catch (error) {
    logger.warn('inbound message could not be parsed', { error: error as Error });
    return undefined;
  }
}

export async function receiveMail(job: InboundJob): Promise<void> {
  const inboxes: Inbox[] = [];
  for (const recipient of new Set(job.recipients.map((r) => r.toLowerCase()))) {
    const inbox = await findInboxByAddress(recipient);
    if (inbox) inboxes.push(inbox);
    else logger.info('mail for an unknown recipient dropped', { recipient, ses_message_id: job.ses_message_id });
  }
  if (!inboxes.length) return;
  const rawKey = `${INBOUND_PREFIX}${job.ses_message_id}`;
  const { Body } = await s3.send(new GetObjectCommand({ Bucket: config.mailBucket, Key: rawKey }));
  const raw = Buffer.from(await Body!.transformToByteArray());
  const parsed = await parse(raw);
  for (const inbox of inboxes) await deliverToInbox(inbox, job, rawKey, raw, parsed);
}

async function deliverToInbox(inbox: Inbox, job: InboundJob, rawKey: string, raw: Buffer, parsed: Email | undefined): Promise<void> {
  const receivedAt = new Date(job.timestamp).toISOString();
  const id = deterministicId('message', Date.parse(receivedAt), `${inbox.id}\n${job.ses_message_id}`);
  const sender = parsed ? (bareAddresses(parsed.from)[0] ?? null) : (job.source?.toLowerCase() ?? null);
  const decision = senderDecision(inbox, sender);
  if (decision === 'blocked' && inbox.rules.on_blocked === 'drop') {
    logger.info('mail from a blocked sender dropped', { inbox_id: inbox.id, sender, ses_message_id: job.ses_message_id });
    return;
  }
  const base = `inboxes/${inbox.id}/${id}`;
  const overQuota = inbox.storage_used_bytes + raw.length > inbox.storage_quota_bytes;
  const labels = [...verdictLabels(job.verdicts), ...(decision === 'blocked' ? ['blocked'] : [])];
  // The raw message is copied into the inbox's own prefix so deleting the inbox can purge it alone.
  await s3.send(new CopyObjectCommand({ Bucket: config.mailBucket, CopySource: `${config.mailBucket}/${rawKey}`, Key: `${base}/raw.eml` }));

  let text: string | null = null;
  let html: string | null = null;
  const attachments: MessageAttachment[] = [];
  if (parsed && !overQuota) {
    text = partBody(parsed.text);
    html = partBody(parsed.html);
    const puts: Promise<unknown>[] = [];
    if (text !== null) puts.push(putMailObject(`${base}/body.txt`, text, 'text/plain; charset=utf-8'));
    if (html !== null) puts.push(putMailObject(`${base}/body.html`, html, 'text/html; charset=utf-8'));
    parsed.attachments.forEach((attachment, index) => {
      const key = `${base}/attachments/${index}`;
      // postal-mime's default attachment encoding: an ArrayBuffer (viewed, not copied).
      const content = Buffer.from(attachment.content as ArrayBuffer);
      attachments.push({
        id: `att_${index}`,
        filename: attachment.filename ?? null,
        content_type: attachment.mimeType,
        size: content.length,
        content_id: attachment.contentId ?? null,
        key,
      });
      puts.push(putMailObject(key, content, attachment.mimeType));
    });
    await Promise.all(puts);
  }

  const subject = parsed?.subject ?? '';
  const rfcMessageId = messageIdOf(parsed?.messageId);
  const inReplyTo = messageIdOf(parsed?.inReplyTo);
  const references = (parsed?.references ?? '').split(/\s+/).flatMap((id) => messageIdOf(id) ?? []);
  const participants = parsed ? [...new Set([...bareAddresses(parsed.from), ...bareAddresses(parsed.to), ...bareAddresses(parsed.cc)])].filter((a) => a !== inbox.address) : [];
  const subjectKey = subjectThreadKey(subject, participants);
  const existing = (await findThreadByMessageIds(inbox.id, threadCandidates(inReplyTo, references))) ?? (subject ? await findThreadBySubject(inbox.id, subjectKey) : undefined);
  const threadId = existing ?? deterministicId('thread', Date.parse(receivedAt), `${inbox.id}\n${job.ses_message_id}`);

  const message: InboxMessage = {
    id,
    inbox_id: inbox.id,
    team_id: inbox.team_id,
    thread_id: threadId,
    direction: 'inbound',
    status: !parsed ? 'unparsed' : overQuota ? 'over_quota' : 'received',
    from: parsed ? (addressList(parsed.from)[0] ?? null) : job.source,
    to: parsed ? addressList(parsed.to) : job.recipients,
    cc: parsed ? addressList(parsed.cc) : [],
    subject,
    message_id: rfcMessageId,
    in_reply_to: inReplyTo,
    references,
    preview: extractReplyText(text ?? '').slice(0, 200),
    labels: [...labels, ...(!parsed ? ['unparsed'] : []), ...(overQuota ? ['over_quota'] : [])],
    read: false,
    verdicts: job.verdicts,
    size: raw.length,
    attachments,
    raw_key: `${base}/raw.eml`,
    text_key: text !== null ? `${base}/body.txt` : null,
    html_key: html !== null ? `${base}/body.html` : null,
    ses_message_id: job.ses_message_id,
    email_id: null,
    error: !parsed ? 'The message is not valid MIME; it is kept raw.' : overQuota ? 'The inbox is over its storage quota; only the raw message was kept.' : null,
    received_at: receivedAt,
  };
  const stored = await storeMessage(
    message,
    threadWrites({
      threadId,
      isNew: !existing,
      inboxId: inbox.id,
      teamId: inbox.team_id,
      subject: normalizeSubject(subject) ? subject : '(no subject)',
      participants,
      messageId: id,
      at: receivedAt,
      rfcMessageIds: rfcMessageId ? [rfcMessageId] : [],
      subjectKey,
    }) as never,
  );
  if (stored) await addInboxStorage(inbox, raw.length);
  // Also when the message was already stored (a redelivered job): the event id is the same, so webhooks get it once.
  await publishEvents([
    platformEvent({
      team_id: inbox.team_id,
      type: 'message.received',
      timestamp: receivedAt,
      inbox_id: inbox.id,
      seed: id,
      data: {
        message_id: id,
        inbox_id: inbox.id,
        thread_id: threadId,
        from: message.from,
        to: message.to,
        cc: message.cc,
        subject,
        preview: message.preview,
        labels: message.labels,
        status: message.status,
        size: message.size,
        attachment_count: attachments.length,
        received_at: receivedAt,
        url: `/v1/inboxes/${inbox.id}/messages/${id}`,
      },
    }),
  ]);
}
