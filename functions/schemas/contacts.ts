import * as z from 'zod';
import { idOf, ListQuery, QueryFlag, Timestamp, someFieldGiven } from './common.js';
import { EmailAddress } from './emails.js';

const MAX_PROPERTIES_BYTES = 16 * 1024;
const MAX_TAGS = 50;

const Name = z.string().trim().max(100).nullable();
const Tag = z.string().trim().min(1).max(64).regex(/^[^\r\n\0,]+$/, 'Tags must not contain line breaks or commas.');

/** IANA time zone names (what waits "until 9:00 in the contact's time zone" need). */
export const TimeZone = z.string().refine((tz) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, 'Must be an IANA time zone like "Europe/Berlin".');

/** Any JSON object, kept small enough to stay inside one contact item. */
const Properties = z.record(z.string().min(1).max(100), z.unknown()).superRefine((value, ctx) => {
  const bytes = Buffer.byteLength(JSON.stringify(value));
  if (bytes > MAX_PROPERTIES_BYTES) ctx.addIssue({ code: 'custom', message: `Properties must be at most ${MAX_PROPERTIES_BYTES} bytes as JSON (got ${bytes}).` });
});

export const IdentifyBody = z.strictObject({
  email: EmailAddress.transform((email) => email.toLowerCase()).describe('The contact\'s key within the team; never changes.'),
  first_name: Name.optional().describe('Overwrites the stored name only when non-empty.'),
  last_name: Name.optional().describe('Overwrites the stored name only when non-empty.'),
  properties: Properties.optional().describe('Deep-merged into the stored properties: new keys are added, given keys replaced, null removes a key.'),
  tags: z.array(Tag).max(MAX_TAGS).optional().describe('Appended to the stored tags, without duplicates.'),
  source: z.string().trim().min(1).max(64).optional().describe('Where the contact came from; kept from the first identify.'),
  timezone: TimeZone.optional(),
  list_id: idOf('list').optional().describe('Subscribes the contact to this list of the team (pending until confirmed on a double opt-in list).'),
});
export type IdentifyBody = z.output<typeof IdentifyBody>;

export const Contact = z.object({
  id: idOf('contact'),
  email: z.string(),
  first_name: z.string().nullable(),
  last_name: z.string().nullable(),
  properties: z.record(z.string(), z.unknown()),
  tags: z.array(z.string()),
  source: z.string().nullable(),
  timezone: z.string().nullable(),
  subscribed: z.boolean(),
  unsubscribed_at: Timestamp.nullable(),
  lists: z.array(idOf('list')).describe('Lists the contact is subscribed to (confirmed).'),
  event_summary: z
    .record(z.string(), z.object({ count: z.number().int(), first_at: Timestamp, last_at: Timestamp }))
    .describe('Per tracked event name: how often and when first/last; what segments and branches evaluate.'),
  created_at: Timestamp,
  updated_at: Timestamp,
  version: z.number().int(),
});
export type Contact = z.infer<typeof Contact>;

export const UpdateContactBody = z
  .strictObject({
    first_name: Name.optional(),
    last_name: Name.optional(),
    properties: Properties.optional().describe('Merged like identify (null removes a key).'),
    tags: z.array(Tag).max(MAX_TAGS).optional().describe('Replaces the tags.'),
    timezone: TimeZone.nullable().optional(),
    subscribed: z.boolean().optional().describe('false unsubscribes the contact from everything; true subscribes it again.'),
  })
  .refine(...someFieldGiven);
export type UpdateContactBody = z.output<typeof UpdateContactBody>;

export const ContactParams = z.strictObject({ id: idOf('contact') });

export const ListContactsQuery = ListQuery.extend({
  tag: Tag.optional(),
  subscribed: QueryFlag.optional(),
  property: z
    .string()
    .max(300)
    .regex(/^[^:]{1,100}:.*$/, 'Use key:value, e.g. plan:pro.')
    .optional()
    .describe('Top-level property equal to a string value.'),
});
export type ListContactsQuery = z.output<typeof ListContactsQuery>;

export const DeleteContactQuery = z.strictObject({
  erase: QueryFlag.default(false).describe('GDPR erasure: also removes everything stored about the contact, leaving only a log entry with a hash of the address.'),
});
