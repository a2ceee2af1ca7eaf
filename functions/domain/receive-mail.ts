/**
 * Receiving: one SES receipt (raw MIME already in S3 under `inbound/<ses message id>`) → a message in
 * each addressed inbox. Nothing is lost: a message that cannot be parsed is kept raw and marked
 * `unparsed`; an inbox over its storage quota keeps the raw message marked `over_quota`. Mail for
 * addresses no inbox owns is logged and dropped (never bounced: that would be backscatter).
 */
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
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

const addressList = (value: AddressObject | AddressObject[] | undefined) =>
  (Array.isArray(value) ? value : value ? [value] : []).flatMap((a) => a.value.map((v) => (v.name ? `${v.name} <${v.address}>` : String(v.address ?? ''))).filter(Boolean));
const bareAddresses = (value: AddressObject | AddressObject[] | undefined) =>
  (Array.isArray(value) ? value : value ? [value] : []).flatMap((a) => a.value.map((v) => String(v.address ?? '').toLowerCase())).filter(Boolean);

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

async function parse(raw: Buffer): Promise<ParsedMail | undefined> {
  try {
    const parsed = await simpleParser(raw, { skipImageLinks: true, skipTextToHtml: true });
    // Bytes without any header are not a MIME message, however leniently they can be read.
    return parsed.headers.size > 0 ? parsed : undefined;
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

async function deliverToInbox(inbox: Inbox, job: InboundJob, rawKey: string, raw: Buffer, parsed: ParsedMail | undefined): Promise<void> {
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
    text = parsed.text ?? null;
    html = typeof parsed.html === 'string' ? parsed.html : null;
    const puts: Promise<unknown>[] = [];
    if (text !== null) puts.push(putMailObject(`${base}/body.txt`, text, 'text/plain; charset=utf-8'));
    if (html !== null) puts.push(putMailObject(`${base}/body.html`, html, 'text/html; charset=utf-8'));
    parsed.attachments.forEach((attachment, index) => {
      const key = `${base}/attachments/${index}`;
      attachments.push({
        id: `att_${index}`,
        filename: attachment.filename ?? null,
        content_type: attachment.contentType,
        size: attachment.size,
        content_id: attachment.contentId ?? null,
        key,
      });
      puts.push(putMailObject(key, attachment.content, attachment.contentType));
    });
    await Promise.all(puts);
  }

  const subject = parsed?.subject ?? '';
  const rfcMessageId = parsed?.messageId ?? null;
  const inReplyTo = parsed?.inReplyTo ?? null;
  const references = parsed ? [parsed.references ?? []].flat() : [];
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
