/**
 * Sending from an inbox. The inbox is the sender (its address and display name); replies take their
 * recipients, subject and threading headers from the message they answer. Everything else follows the
 * rules of POST /v1/emails (the body is checked by SendEmailBody once assembled).
 */
import * as z from 'zod';

const Recipients = z.union([z.string(), z.object({ email: z.string(), name: z.string().optional() }).loose(), z.array(z.unknown())]);
const Content = {
  html: z.string().optional(),
  text: z.string().optional(),
  attachments: z.array(z.unknown()).optional(),
  headers: z.record(z.string(), z.string()).optional(),
  tags: z.record(z.string(), z.string()).optional(),
};

export const InboxSendBody = z.strictObject({ to: Recipients, cc: Recipients.optional(), bcc: Recipients.optional(), subject: z.string(), ...Content });
export const ReplyBody = z.strictObject({ cc: Recipients.optional(), bcc: Recipients.optional(), ...Content });
export const ForwardBody = z.strictObject({ to: Recipients, cc: Recipients.optional(), bcc: Recipients.optional(), ...Content });
export type InboxSendBody = z.output<typeof InboxSendBody>;
export type ReplyBody = z.output<typeof ReplyBody>;
export type ForwardBody = z.output<typeof ForwardBody>;

export { InboxMessageParams } from './messages.js';
