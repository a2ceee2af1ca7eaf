/**
 * Sending from an inbox: a new conversation, a reply, a reply-all or a forward. Each becomes an email
 * through the normal send pipeline (quota, suppressions, events) and an outbound message in the inbox's
 * thread, with Message-ID, In-Reply-To and References set so the other side's replies come back to it.
 */
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { s3 } from '../shared/clients.js';
import { config } from '../shared/config.js';
import { ApiError, notFound } from '../shared/errors.js';
import { deterministicId } from '../shared/ids.js';
import { validationError } from '../shared/http/validation.js';
import { SendEmailBody, type Email } from '../schemas/emails.js';
import type { InboxMessage } from '../schemas/messages.js';
import type { Inbox } from '../schemas/inboxes.js';
import type { ForwardBody, InboxSendBody, InboxSentMessage, ReplyBody } from '../schemas/inbox-sends.js';
import { findMessage, storeMessage } from '../repositories/messages.js';
import { findThread, threadWrites } from '../repositories/threads.js';
import { putMailObject } from '../repositories/mail-store.js';
import { acceptEmails } from './send-email.js';
import { extractReplyText, normalizeSubject, subjectThreadKey } from './threading.js';
import { htmlToText } from './html-text.js';
import { messageSummary } from './inbox-messages.js';

type Draft = Omit<Partial<InboxSendBody>, 'to'> & { to: unknown; subject: string; attachments?: unknown[] };

const bare = (address: string) => (/<([^>]+)>/.exec(address)?.[1] ?? address).trim().toLowerCase();
const withPrefix = (prefix: 'Re' | 'Fwd', subject: string) => (new RegExp(`^${prefix}:`, 'i').test(subject.trim()) ? subject : `${prefix}: ${subject}`);

/** The message being answered, which must be in this inbox (anything else is simply not found). */
export async function messageInInbox(inbox: Inbox, messageId: string): Promise<InboxMessage> {
  const message = await findMessage(messageId);
  if (!message || message.inbox_id !== inbox.id) throw notFound('Message');
  return message;
}

async function send(
  inbox: Inbox,
  draft: Draft,
  thread: { id: string | null; inReplyTo: string | null; references: string[] },
): Promise<{ email: Email; message: InboxMessage }> {
  const parsed = SendEmailBody.safeParse({ ...draft, from: { email: inbox.address, ...(inbox.display_name && { name: inbox.display_name }) } });
  if (!parsed.success) throw validationError(parsed.error.issues);
  // Storage belongs to the team: an inbox (and its key) attaches files inline only.
  const stored = (parsed.data.attachments ?? []).findIndex((a) => a.bucket !== undefined);
  if (stored >= 0) {
    throw new ApiError('validation_error', 'Messages sent from an inbox carry their attachments inline (content); attach stored objects with POST /v1/emails.', {
      param: `attachments.${stored}`,
    });
  }
  const [result] = await acceptEmails(inbox.team_id, [parsed.data], {
    inboxContexts: [{ inbox_id: inbox.id, thread_id: thread.id, in_reply_to: thread.inReplyTo, references: thread.references }],
  });
  if (!result!.ok) throw result!.error;
  const { email, threading } = result!;
  const at = email.created_at;
  const id = deterministicId('message', Date.parse(at), email.id);
  const base = `inboxes/${inbox.id}/${id}`;
  const text = parsed.data.text ?? (parsed.data.html ? htmlToText(parsed.data.html) : null);
  await Promise.all([
    text !== null ? putMailObject(`${base}/body.txt`, text, 'text/plain; charset=utf-8') : undefined,
    parsed.data.html ? putMailObject(`${base}/body.html`, parsed.data.html, 'text/html; charset=utf-8') : undefined,
  ]);
  const participants = email.recipients.map((r) => r.email);
  const message: InboxMessage = {
    id,
    inbox_id: inbox.id,
    team_id: inbox.team_id,
    thread_id: threading!.thread_id,
    direction: 'outbound',
    status: 'queued',
    from: email.from,
    to: email.to,
    cc: email.cc,
    subject: email.subject,
    message_id: threading!.rfc_message_id,
    in_reply_to: threading!.in_reply_to,
    references: threading!.references,
    preview: extractReplyText(text ?? '').slice(0, 200),
    labels: ['sent'],
    read: true,
    verdicts: null,
    size: Buffer.byteLength(text ?? '') + Buffer.byteLength(parsed.data.html ?? ''),
    attachments: [],
    raw_key: null,
    text_key: text !== null ? `${base}/body.txt` : null,
    html_key: parsed.data.html ? `${base}/body.html` : null,
    ses_message_id: null,
    email_id: email.id,
    error: null,
    received_at: at,
  };
  await storeMessage(
    message,
    threadWrites({
      threadId: threading!.thread_id,
      isNew: thread.id === null,
      inboxId: inbox.id,
      teamId: inbox.team_id,
      subject: normalizeSubject(email.subject) ? email.subject : '(no subject)',
      participants,
      messageId: id,
      at,
      rfcMessageIds: [threading!.rfc_message_id],
      subjectKey: subjectThreadKey(email.subject, participants),
    }) as never,
  );
  return { email, message };
}

/** What a send answers: the new message as the message routes show it (no storage keys; a new message is at version 1) and its email. */
export const sentMessageView = ({ message, email }: { message: InboxMessage; email: Email }): InboxSentMessage => ({ ...messageSummary({ ...message, version: 1 }), email });

export function sendNew(inbox: Inbox, body: InboxSendBody) {
  return send(inbox, body, { id: null, inReplyTo: null, references: [] });
}

/** Reply (to the sender) or reply-all (also everyone else on it but this inbox), in the same thread. */
export async function reply(inbox: Inbox, messageId: string, body: ReplyBody, all: boolean) {
  const original = await messageInInbox(inbox, messageId);
  const sender = original.direction === 'inbound' ? original.from : original.to[0];
  if (!sender) throw new ApiError('validation_error', 'The message has no sender to reply to.', { param: 'message_id' });
  const others = all ? [...original.to, ...original.cc].filter((a) => bare(a) !== inbox.address && bare(a) !== bare(sender)) : [];
  const thread = await findThread(original.thread_id);
  return send(
    inbox,
    // The caller's cc is passed on as given when nobody else is added, so its errors name the caller's field.
    { ...body, to: [sender], cc: others.length ? [...others, ...[body.cc ?? []].flat()] : body.cc, subject: withPrefix('Re', original.subject || thread?.subject || '') },
    {
      id: original.thread_id,
      inReplyTo: original.message_id,
      references: [...original.references, ...(original.message_id ? [original.message_id] : [])],
    },
  );
}

/** Forward: the original goes along as an attached message (message/rfc822), in the same thread. */
export async function forward(inbox: Inbox, messageId: string, body: ForwardBody) {
  const original = await messageInInbox(inbox, messageId);
  const attachments = [...(body.attachments ?? [])];
  if (original.raw_key) {
    const { Body } = await s3.send(new GetObjectCommand({ Bucket: config.mailBucket, Key: original.raw_key }));
    attachments.push({ filename: 'forwarded-message.eml', content: Buffer.from(await Body!.transformToByteArray()).toString('base64'), content_type: 'message/rfc822' });
  }
  const note = body.text ?? (body.html ? undefined : `---------- Forwarded message ----------\nFrom: ${original.from ?? ''}\nSubject: ${original.subject}`);
  return send(
    inbox,
    { ...body, text: note, attachments, subject: withPrefix('Fwd', original.subject) },
    { id: original.thread_id, inReplyTo: null, references: [...original.references, ...(original.message_id ? [original.message_id] : [])] },
  );
}
