/**
 * Sending from an inbox. The inbox is the sender (its address and display name); replies take their
 * recipients, subject and threading headers from the message they answer. Everything else follows the
 * rules of POST /v1/emails (the body is checked by SendEmailBody once assembled).
 */
import * as z from 'zod';
import { defineRoutes } from './contract.js';
import { Email } from './emails.js';
import { InboxParams } from './inboxes.js';
import { InboxMessageParams, MessageSummary } from './messages.js';

const Recipients = z.union([z.string(), z.object({ email: z.string(), name: z.string().optional() }).loose(), z.array(z.unknown())]);
const Content = {
  html: z.string().optional(),
  text: z.string().optional(),
  attachments: z.array(z.unknown()).optional(),
  headers: z.record(z.string(), z.string()).optional(),
  tags: z.record(z.string(), z.string()).optional(),
};

export const InboxSendBody = z
  .strictObject({ to: Recipients, cc: Recipients.optional(), bcc: Recipients.optional(), subject: z.string(), ...Content })
  .meta({ id: 'InboxSendBody' });
export const ReplyBody = z.strictObject({ cc: Recipients.optional(), bcc: Recipients.optional(), ...Content }).meta({ id: 'InboxReplyBody' });
export const ForwardBody = z
  .strictObject({ to: Recipients, cc: Recipients.optional(), bcc: Recipients.optional(), ...Content })
  .meta({ id: 'InboxForwardBody' });
export type InboxSendBody = z.output<typeof InboxSendBody>;
export type ReplyBody = z.output<typeof ReplyBody>;
export type ForwardBody = z.output<typeof ForwardBody>;

export { InboxMessageParams };

/** What a send from an inbox answers: the new message as the message routes show it, and the email that delivers it. */
export const InboxSentMessage = MessageSummary.extend({
  email: Email.describe('The email that delivers the message; GET /v1/emails/{id} follows its delivery.'),
}).meta({ id: 'InboxSentMessage' });
export type InboxSentMessage = z.infer<typeof InboxSentMessage>;

/** Everything that can refuse a send from an inbox: the rules of POST /v1/emails. */
const SEND_ERRORS = ['validation_error', 'payload_too_large', 'all_recipients_suppressed', 'quota_exceeded', 'sending_paused', 'service_unavailable'] as const;

const SENDING_RULES = [
  'The inbox is the sender (its address and display name); the rules of POST /v1/emails apply (recipients, sizes, suppressions, the send quota),',
  'but attachments go inline (`content`), never by reference to a stored object.',
  'The answer is the outbound message, status `queued`, with the email that delivers it.',
].join(' ');

export const INBOX_SEND_ROUTES = defineRoutes({
  'inbox-sends.send': {
    summary: 'Send a message from an inbox',
    description: `Starts a new thread. ${SENDING_RULES}`,
    params: InboxParams,
    body: InboxSendBody,
    responses: { 202: InboxSentMessage },
    errors: SEND_ERRORS,
  },
  'inbox-sends.reply': {
    summary: 'Reply to a message',
    description: [
      'Answers the sender of the message (for a message the inbox sent: its first recipient) in the same thread,',
      'with the subject `Re: …` and In-Reply-To and References set, so the answer threads in their mail client too.',
      SENDING_RULES,
    ].join(' '),
    params: InboxMessageParams,
    body: ReplyBody,
    responses: { 202: InboxSentMessage },
    errors: SEND_ERRORS,
  },
  'inbox-sends.reply-all': {
    summary: 'Reply to everyone on a message',
    description: [
      'Like reply, and also copies (Cc) everyone else on the message\'s To and Cc except this inbox, before any `cc` you give.',
      SENDING_RULES,
    ].join(' '),
    params: InboxMessageParams,
    body: ReplyBody,
    responses: { 202: InboxSentMessage },
    errors: SEND_ERRORS,
  },
  'inbox-sends.forward': {
    summary: 'Forward a message',
    description: [
      'Sends the message on to `to` in the same thread, with the subject `Fwd: …` and the original attached as `forwarded-message.eml`',
      '(message/rfc822) when its raw MIME is stored (received mail). Without `text` or `html`, the text is a short forwarded-message note.',
      SENDING_RULES,
    ].join(' '),
    params: InboxMessageParams,
    body: ForwardBody,
    responses: { 202: InboxSentMessage },
    errors: SEND_ERRORS,
  },
});
