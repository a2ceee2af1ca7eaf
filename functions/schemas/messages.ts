import * as z from 'zod';
import { Timestamp } from './common.js';

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

export const MESSAGE_STATUSES = ['received', 'unparsed', 'over_quota', 'sent'] as const;

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
  /** S3 keys of the stored parts. */
  raw_key: z.string(),
  text_key: z.string().nullable(),
  html_key: z.string().nullable(),
  ses_message_id: z.string().nullable(),
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
