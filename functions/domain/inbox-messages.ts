/**
 * Reading an inbox: its messages and threads as the API shows them, and the state a reader changes on a
 * message (labels, read). The API never shows S3 keys: body parts are read here, attachments and the raw
 * message are handed out as presigned URLs. Every lookup goes through the inbox the caller may act on, so an
 * inbox key sees its own inbox only and another inbox's message or thread is a 404 like one that does not exist.
 */
import { isDeepStrictEqual } from 'node:util';
import { ApiError, notFound } from '../shared/errors.js';
import type { Principal } from '../shared/http/types.js';
import type { Page } from '../repositories/table.js';
import { staleVersion } from '../repositories/teams.js';
import { findMessage, findMessages, listInboxMessages, listThreadMessageIds, updateMessageState, type StoredMessage } from '../repositories/messages.js';
import { findThread, listInboxThreads } from '../repositories/threads.js';
import { getMailText, presignMailDownload } from '../repositories/mail-store.js';
import {
  MAX_MESSAGE_LABELS,
  type ListInboxMessagesQuery,
  type MessageDetail,
  type MessageSummary,
  type RawMessageDownload,
  type Thread,
  type ThreadDetail,
  type UpdateInboxMessageBody,
} from '../schemas/messages.js';
import { inboxForPrincipal } from './inboxes.js';
import { extractReplyText } from './threading.js';

/** Each body part is inlined up to this size, so text and HTML together stay well inside Lambda's 6 MB response. */
const INLINE_BODY_BYTES = 1_000_000;
/** Concurrent changes to one message are retried on top of the winner this many times. */
const WRITE_ATTEMPTS = 5;

export function messageSummary(message: StoredMessage): MessageSummary {
  const { raw_key: _raw, text_key: _text, html_key: _html, attachments, ...rest } = message;
  return { ...rest, attachments: attachments.map(({ key: _key, ...attachment }) => attachment) };
}

async function readableMessage(principal: Principal, inboxId: string, messageId: string): Promise<StoredMessage> {
  const [inbox, message] = await Promise.all([inboxForPrincipal(principal, inboxId), findMessage(messageId)]);
  if (!message || message.inbox_id !== inbox.id) throw notFound('Message');
  return message;
}

export async function listMessages(principal: Principal, inboxId: string, query: ListInboxMessagesQuery): Promise<Page<MessageSummary>> {
  const inbox = await inboxForPrincipal(principal, inboxId);
  const page = await listInboxMessages(inbox.id, query);
  return { data: page.data.map(messageSummary), next_cursor: page.next_cursor };
}

export async function getMessage(principal: Principal, inboxId: string, messageId: string): Promise<MessageDetail> {
  const message = await readableMessage(principal, inboxId, messageId);
  const [text, html, attachments] = await Promise.all([
    message.text_key ? getMailText(message.text_key, INLINE_BODY_BYTES) : undefined,
    message.html_key ? getMailText(message.html_key, INLINE_BODY_BYTES) : undefined,
    Promise.all(
      message.attachments.map(async ({ key, ...attachment }) => {
        const download = await presignMailDownload(key, { filename: attachment.filename });
        return { ...attachment, download_url: download.url, download_expires_at: download.expires_at };
      }),
    ),
  ]);
  return {
    ...messageSummary(message),
    text: text?.text ?? null,
    html: html?.text ?? null,
    reply_text: text ? extractReplyText(text.text) : null,
    truncated: Boolean(text?.truncated || html?.truncated),
    attachments,
  };
}

export async function getRawMessage(principal: Principal, inboxId: string, messageId: string): Promise<RawMessageDownload> {
  const message = await readableMessage(principal, inboxId, messageId);
  if (!message.raw_key) throw new ApiError('not_found', 'This message has no raw MIME stored: it was sent from the inbox, and SES built its MIME.');
  const download = await presignMailDownload(message.raw_key, { filename: `${message.id}.eml`, contentType: 'message/rfc822' });
  return { download_url: download.url, expires_at: download.expires_at, size: message.size };
}

/**
 * Adds and removes labels and sets the read state. Without If-Match a concurrent change is not lost: the
 * labels are applied again on top of it. A change that leaves the message as it is writes nothing.
 */
export async function updateMessage(
  principal: Principal,
  inboxId: string,
  messageId: string,
  body: UpdateInboxMessageBody,
  expectedVersion: number | undefined,
): Promise<StoredMessage> {
  const inbox = await inboxForPrincipal(principal, inboxId);
  const removed = new Set(body.labels?.remove ?? []);
  for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
    const current = await findMessage(messageId);
    if (!current || current.inbox_id !== inbox.id) throw notFound('Message');
    if (expectedVersion !== undefined && expectedVersion !== current.version) throw staleVersion();
    const labels = [...new Set([...current.labels.filter((label) => !removed.has(label)), ...(body.labels?.add ?? [])])];
    const read = body.read ?? current.read;
    if (labels.length > MAX_MESSAGE_LABELS) {
      throw new ApiError('validation_error', `A message keeps at most ${MAX_MESSAGE_LABELS} labels; this change would give it ${labels.length}.`, {
        param: 'labels.add',
      });
    }
    if (read === current.read && isDeepStrictEqual(labels, current.labels)) return current;
    const updated = await updateMessageState(current.id, inbox.id, current.version, { labels, read });
    if (updated) return updated;
  }
  throw staleVersion();
}

export async function listThreads(principal: Principal, inboxId: string, query: { limit: number; cursor?: string }): Promise<Page<Thread>> {
  const inbox = await inboxForPrincipal(principal, inboxId);
  return listInboxThreads(inbox.id, query);
}

export async function getThread(principal: Principal, inboxId: string, threadId: string): Promise<ThreadDetail> {
  const [inbox, thread, messageIds] = await Promise.all([inboxForPrincipal(principal, inboxId), findThread(threadId), listThreadMessageIds(threadId)]);
  if (!thread || thread.inbox_id !== inbox.id) throw notFound('Thread');
  const messages = await findMessages(messageIds);
  return { ...thread, messages: messages.map(messageSummary) };
}
