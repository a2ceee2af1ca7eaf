import * as z from 'zod';
import { idOf, ListQuery, pageOf, QueryFlag, Timestamp } from './common.js';
import { defineRoutes } from './contract.js';
import { InboxParams } from './inboxes.js';

/** SES receipt verdicts: PASS, FAIL, GRAY or PROCESSING_FAILED (DISABLED when scanning is off). */
export const Verdict = z.string();

export const MessageAttachment = z.object({
  id: z.string().describe('The attachment\'s id within its message (`att_0`, `att_1`, …).'),
  filename: z.string().nullable(),
  content_type: z.string(),
  size: z.number().int().describe('Bytes.'),
  content_id: z.string().nullable().describe('The Content-ID of an inline part (referenced as `cid:` from the HTML).'),
  /** S3 key; the API hands out presigned URLs, never keys. */
  key: z.string(),
});
export type MessageAttachment = z.infer<typeof MessageAttachment>;

/** Inbound: received / unparsed / over_quota. Outbound: queued (its email's status tells the rest). */
export const MESSAGE_STATUSES = ['received', 'unparsed', 'over_quota', 'queued'] as const;

export const InboxMessage = z.object({
  id: idOf('message'),
  inbox_id: idOf('inbox'),
  team_id: idOf('team'),
  thread_id: idOf('thread'),
  direction: z.enum(['inbound', 'outbound']),
  status: z
    .enum(MESSAGE_STATUSES)
    .describe(
      'Inbound: `received`; `unparsed` (not valid MIME, kept raw only) or `over_quota` (the inbox was full, kept raw only). Outbound: `queued` (the email at `email_id` has its delivery status).',
    ),
  from: z.string().nullable(),
  to: z.array(z.string()),
  cc: z.array(z.string()),
  subject: z.string(),
  message_id: z.string().nullable().describe('The RFC 5322 Message-ID, as on the wire (with angle brackets).'),
  in_reply_to: z.string().nullable().describe('The In-Reply-To header, as on the wire.'),
  references: z.array(z.string()).describe('The References header, oldest first.'),
  preview: z.string().describe('The first 200 characters of the text, without quoted history.'),
  labels: z.array(z.string()).describe('Your labels and the system\'s: `sent`, `spam`, `virus`, `auth-failed`, `blocked`, `unparsed`, `over_quota`.'),
  read: z.boolean(),
  verdicts: z
    .object({ spam: Verdict, virus: Verdict, spf: Verdict, dkim: Verdict, dmarc: Verdict })
    .nullable()
    .describe('Receipt checks of inbound mail; null for outbound messages.'),
  size: z.number().int().describe('Bytes: the raw message for inbound mail, the text and HTML bodies for outbound.'),
  attachments: z.array(MessageAttachment),
  /** S3 keys of the stored parts (outbound messages have no raw MIME of their own: SES builds it). */
  raw_key: z.string().nullable(),
  text_key: z.string().nullable(),
  html_key: z.string().nullable(),
  ses_message_id: z.string().nullable(),
  email_id: idOf('email').nullable().describe('Outbound messages: the email that delivers it (GET /v1/emails/{id} has its delivery status).'),
  error: z.string().nullable().describe('Why an inbound message was kept raw only.'),
  received_at: Timestamp.describe('When it arrived (inbound) or was accepted for sending (outbound).'),
});
export type InboxMessage = z.infer<typeof InboxMessage>;

export const Thread = z
  .object({
    id: idOf('thread'),
    inbox_id: idOf('inbox'),
    team_id: idOf('team'),
    subject: z.string().describe('The subject of the message that started it.'),
    participants: z.array(z.string()).describe('Addresses that wrote or received its messages, other than the inbox, sorted.'),
    message_count: z.number().int(),
    last_message_at: Timestamp,
    created_at: Timestamp,
  })
  .meta({ id: 'InboxThread' });
export type Thread = z.infer<typeof Thread>;

/* ---- The inbox message and thread API (GET/PATCH /v1/inboxes/{id}/messages…, …/threads…) ---- */

export const MAX_MESSAGE_LABELS = 20;

/** Lowercased on input, so "Urgent" and "urgent" are one label. System labels (spam, blocked, …) use the same form. */
export const Label = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9_-]{1,32}$/, 'Use 1–32 lowercase letters, digits, "_" or "-".');

export const InboxMessageParams = z.strictObject({ id: idOf('inbox'), message_id: idOf('message') });
export const InboxThreadParams = z.strictObject({ id: idOf('inbox'), thread_id: idOf('thread') });

export const ListInboxMessagesQuery = ListQuery.extend({
  label: Label.optional().describe('Only messages with this label.'),
  from: z.string().trim().toLowerCase().min(1).max(320).optional().describe('Only messages whose From contains this text (an address or part of one), ignoring case.'),
  unread: QueryFlag.optional().describe('true: only unread messages; false: only read ones.'),
  since: Timestamp.optional().describe('Only messages received at or after this time.'),
  until: Timestamp.optional().describe('Only messages received at or before this time.'),
});
export type ListInboxMessagesQuery = z.output<typeof ListInboxMessagesQuery>;

export const ListInboxThreadsQuery = ListQuery;

const LabelList = z.array(Label).max(MAX_MESSAGE_LABELS);

export const UpdateInboxMessageBody = z
  .strictObject({
    labels: z
      .strictObject({ add: LabelList.optional(), remove: LabelList.optional() })
      .optional()
      .describe(`Labels to add and to remove; the others stay. A message keeps at most ${MAX_MESSAGE_LABELS} labels.`),
    read: z.boolean().optional(),
  })
  .superRefine((body, ctx) => {
    const removed = new Set(body.labels?.remove ?? []);
    (body.labels?.add ?? []).forEach((label, index) => {
      if (removed.has(label)) ctx.addIssue({ code: 'custom', path: ['labels', 'add', index], message: `"${label}" is also in labels.remove.` });
    });
  });
export type UpdateInboxMessageBody = z.output<typeof UpdateInboxMessageBody>;

/** The API never hands out S3 keys: attachments and parts are reached through presigned URLs. */
const AttachmentView = MessageAttachment.omit({ key: true }).meta({ id: 'InboxMessageAttachment' });

export const MessageSummary = InboxMessage.omit({ raw_key: true, text_key: true, html_key: true, attachments: true })
  .extend({
    attachments: z.array(AttachmentView),
    version: z.number().int().describe('Also the ETag: send it back as If-Match on PATCH.'),
  })
  .meta({ id: 'InboxMessageSummary' });
export type MessageSummary = z.infer<typeof MessageSummary>;

export const MessageDetail = MessageSummary.extend({
  text: z.string().nullable(),
  html: z.string().nullable(),
  reply_text: z.string().nullable().describe('The text without the quoted history of earlier messages.'),
  truncated: z.boolean().describe('A body part was too large to include whole; the raw message (…/raw) has everything.'),
  attachments: z.array(
    AttachmentView.extend({ download_url: z.url().describe('A presigned GET, valid until download_expires_at.'), download_expires_at: Timestamp }),
  ),
}).meta({ id: 'InboxMessage' });
export type MessageDetail = z.infer<typeof MessageDetail>;

export const ThreadDetail = Thread.extend({ messages: z.array(MessageSummary).describe('Oldest first.') }).meta({ id: 'InboxThreadDetail' });
export type ThreadDetail = z.infer<typeof ThreadDetail>;

export const RawMessageDownload = z
  .object({
    download_url: z.url().describe('A presigned GET of the message/rfc822 file, valid until expires_at. Send no Authorization header with it.'),
    expires_at: Timestamp,
    size: z.number().int().describe('Bytes.'),
  })
  .meta({ id: 'InboxRawMessage' });
export type RawMessageDownload = z.infer<typeof RawMessageDownload>;

export const MESSAGE_ROUTES = defineRoutes({
  'inbox-messages.list': {
    summary: "List an inbox's messages",
    description: [
      'Received and sent messages, newest first, without their bodies; filter by `label`, sender text (`from`), `unread` and a `since`/`until` time range.',
      'Pass `next_cursor` back as `cursor` for the next page.',
    ].join(' '),
    params: InboxParams,
    query: ListInboxMessagesQuery,
    responses: { 200: pageOf(MessageSummary) },
  },
  'inbox-messages.get': {
    summary: 'Get a message',
    description: [
      'The message with its text and HTML bodies (each inlined up to 1 MB; `truncated` says when one was cut), `reply_text` without the quoted history,',
      'and a presigned download link per attachment. Reading does not mark it read: PATCH `{"read": true}` does.',
    ].join(' '),
    params: InboxMessageParams,
    responses: { 200: MessageDetail },
  },
  'inbox-messages.raw': {
    summary: 'Download the raw message',
    description: [
      'A presigned link to the message exactly as received (message/rfc822), rather than a redirect, so the key never goes to storage.',
      'Messages sent from the inbox have no raw MIME of their own (404).',
    ].join(' '),
    params: InboxMessageParams,
    responses: { 200: RawMessageDownload },
  },
  'inbox-messages.update': {
    summary: 'Label a message or mark it read',
    description: [
      `Adds and removes labels (lowercased; at most ${MAX_MESSAGE_LABELS} per message) and sets the read state.`,
      'Without If-Match a concurrent change is not lost: the change is applied on top of it. A change that leaves the message as it is writes nothing.',
    ].join(' '),
    params: InboxMessageParams,
    body: UpdateInboxMessageBody,
    responses: { 200: MessageSummary },
    headers: ['If-Match'],
    errors: ['validation_error'],
  },
  'inbox-threads.list': {
    summary: "List an inbox's threads",
    description: 'Conversations, the most recently active first. Pass `next_cursor` back as `cursor` for the next page.',
    params: InboxParams,
    query: ListInboxThreadsQuery,
    responses: { 200: pageOf(Thread) },
  },
  'inbox-threads.get': {
    summary: 'Get a thread',
    description: 'The thread with all its messages (received and sent), oldest first, without their bodies.',
    params: InboxThreadParams,
    responses: { 200: ThreadDetail },
  },
});
