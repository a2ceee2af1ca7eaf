import * as z from 'zod';
import { idOf, ListQuery, QueryFlag, Timestamp } from './common.js';

/** SES receipt verdicts: PASS, FAIL, GRAY or PROCESSING_FAILED (DISABLED when scanning is off). */
export const Verdict = z.string();

export const MessageAttachment = z.object({
  id: z.string(),
  filename: z.string().nullable(),
  content_type: z.string(),
  size: z.number().int(),
  content_id: z.string().nullable(),
  /** S3 key; the API hands out presigned URLs, never keys. */
  key: z.string(),
});
export type MessageAttachment = z.infer<typeof MessageAttachment>;

/** Inbound: received / unparsed / over_quota. Outbound: queued (its email's status tells the rest). */
export const MESSAGE_STATUSES = ['received', 'unparsed', 'over_quota', 'queued'] as const;

export const InboxMessage = z.object({
  id: z.string(),
  inbox_id: z.string(),
  team_id: z.string(),
  thread_id: z.string(),
  direction: z.enum(['inbound', 'outbound']),
  status: z.enum(MESSAGE_STATUSES),
  from: z.string().nullable(),
  to: z.array(z.string()),
  cc: z.array(z.string()),
  subject: z.string(),
  /** RFC 5322 Message-ID, In-Reply-To and References, as on the wire (with angle brackets). */
  message_id: z.string().nullable(),
  in_reply_to: z.string().nullable(),
  references: z.array(z.string()),
  preview: z.string(),
  labels: z.array(z.string()),
  read: z.boolean(),
  verdicts: z.object({ spam: Verdict, virus: Verdict, spf: Verdict, dkim: Verdict, dmarc: Verdict }).nullable(),
  size: z.number().int(),
  attachments: z.array(MessageAttachment),
  /** S3 keys of the stored parts (outbound messages have no raw MIME of their own: SES builds it). */
  raw_key: z.string().nullable(),
  text_key: z.string().nullable(),
  html_key: z.string().nullable(),
  ses_message_id: z.string().nullable(),
  /** Outbound messages: the email that delivers it (GET /v1/emails/{id} has its delivery status). */
  email_id: z.string().nullable(),
  error: z.string().nullable(),
  received_at: Timestamp,
});
export type InboxMessage = z.infer<typeof InboxMessage>;

export const Thread = z.object({
  id: z.string(),
  inbox_id: z.string(),
  team_id: z.string(),
  subject: z.string(),
  participants: z.array(z.string()),
  message_count: z.number().int(),
  last_message_at: Timestamp,
  created_at: Timestamp,
});
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
const AttachmentView = MessageAttachment.omit({ key: true });

export const MessageSummary = InboxMessage.omit({ raw_key: true, text_key: true, html_key: true, attachments: true }).extend({
  attachments: z.array(AttachmentView),
  version: z.number().int().describe('Also the ETag: send it back as If-Match on PATCH.'),
});
export type MessageSummary = z.infer<typeof MessageSummary>;

export const MessageDetail = MessageSummary.extend({
  text: z.string().nullable(),
  html: z.string().nullable(),
  reply_text: z.string().nullable().describe('The text without the quoted history of earlier messages.'),
  truncated: z.boolean().describe('A body part was too large to include whole; the raw message (…/raw) has everything.'),
  attachments: z.array(AttachmentView.extend({ download_url: z.url(), download_expires_at: Timestamp })),
});
export type MessageDetail = z.infer<typeof MessageDetail>;

export const ThreadDetail = Thread.extend({ messages: z.array(MessageSummary).describe('Oldest first.') });
export type ThreadDetail = z.infer<typeof ThreadDetail>;

export const RawMessageDownload = z.object({ download_url: z.url(), expires_at: Timestamp, size: z.number().int() });
export type RawMessageDownload = z.infer<typeof RawMessageDownload>;
