import * as z from 'zod';
import { idOf, ListQuery, pageOf, QueryFlag, Timestamp, someFieldGiven } from './common.js';
import { defineRoutes } from './contract.js';
import { EmailAddress } from './emails.js';
import { ContactEvent, ContactEventsParams, ListContactEventsQuery } from './events.js';
import { MembershipStatus } from './lists.js';

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

export const Contact = z
  .object({
    id: idOf('contact'),
    email: z.string().describe('Lowercase; the contact\'s key within the team, never changes.'),
    first_name: z.string().nullable(),
    last_name: z.string().nullable(),
    properties: z.record(z.string(), z.unknown()),
    tags: z.array(z.string()),
    source: z.string().nullable().describe('Where the contact came from, as the first identify (or import) said.'),
    timezone: z.string().nullable().describe('IANA time zone, for campaign waits "until 9:00 in the contact\'s time zone".'),
    subscribed: z.boolean().describe('false: unsubscribed from everything (campaigns and broadcasts skip the contact).'),
    unsubscribed_at: Timestamp.nullable().describe('When the contact last unsubscribed from everything; null while subscribed.'),
    lists: z.array(idOf('list')).describe('Lists the contact is subscribed to (confirmed).'),
    event_summary: z
      .record(z.string(), z.object({ count: z.number().int(), first_at: Timestamp, last_at: Timestamp }))
      .describe('Per tracked event name: how often and when first/last; what segments and branches evaluate.'),
    created_at: Timestamp,
    updated_at: Timestamp,
    version: z.number().int().describe('Increases with every change; the ETag, for If-Match.'),
  })
  .meta({ id: 'Contact' });
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

/** What identify answers: the contact, and with `list_id` how it was subscribed. */
export const IdentifyResult = z
  .object({
    contact_id: idOf('contact'),
    created: z.boolean().describe('The contact is new (the status is then 201).'),
    contact: Contact,
    list: z
      .object({
        id: idOf('list'),
        status: MembershipStatus.describe('pending: a double opt-in list sent a confirmation email.'),
        first_subscription: z.boolean().describe('The contact\'s first confirmed subscription to the list: its signup campaigns started.'),
      })
      .optional()
      .describe('Only with list_id: the membership.'),
    enrolled_campaigns: z.array(z.string()).optional().describe('Only with list_id: names of the signup campaigns the contact was enrolled in.'),
  })
  .meta({ id: 'IdentifyResult' });
export type IdentifyResult = z.infer<typeof IdentifyResult>;

export const ContactDeleted = z.object({
  id: idOf('contact'),
  deleted: z.literal(true),
  erased: z.boolean().describe('The deletion was a GDPR erasure (?erase=true).'),
});
export type ContactDeleted = z.infer<typeof ContactDeleted>;

export const CONTACT_ROUTES = defineRoutes({
  'identify.upsert': {
    summary: 'Create or update a contact by email',
    description:
      'Creates the team\'s contact with this address (201) or merges into it (200): names are overwritten only by non-empty values, ' +
      'properties are deep-merged (null removes a key), tags are appended, the source is kept from the first identify. ' +
      'An identify that changes nothing writes nothing. Publishes `contact.created` or `contact.updated` (and `contact.unsubscribed`). ' +
      'With `list_id` it also subscribes the contact (pending with a confirmation email on a double opt-in list; a first subscription starts the list\'s signup campaigns). Needs the `write` scope.',
    body: IdentifyBody,
    responses: { 200: IdentifyResult, 201: IdentifyResult },
    errors: ['validation_error', 'conflict', 'quota_exceeded', 'sending_paused', 'service_unavailable'],
  },
  'contacts.list': {
    summary: 'List contacts',
    description:
      'The team\'s contacts, newest first. Filters (`tag`, `subscribed`, `property=key:value`) are applied while reading, ' +
      'so a filtered page may hold fewer than `limit` contacts (even none) while `next_cursor` still points further.',
    query: ListContactsQuery,
    responses: { 200: pageOf(Contact) },
  },
  'contacts.get': {
    summary: 'Get a contact',
    description: 'The contact with its list subscriptions and tracked-event summary. The ETag is its version.',
    params: ContactParams,
    responses: { 200: Contact },
  },
  'contacts.update': {
    summary: 'Update a contact',
    description:
      'Names and time zone are set as given (an empty name clears it), properties are merged (null removes a key), tags are replaced. ' +
      '`subscribed: false` unsubscribes the contact from everything. A change publishes `contact.updated` (and `contact.unsubscribed`); ' +
      'a PATCH that changes nothing writes nothing. Honours If-Match.',
    params: ContactParams,
    body: UpdateContactBody,
    responses: { 200: Contact },
    errors: ['conflict'],
    headers: ['If-Match'],
  },
  'contacts.delete': {
    summary: 'Delete a contact',
    description:
      'Deletes the contact with its events, enrolments and list memberships, and frees its address; runs still waiting end without sending. ' +
      'With `?erase=true` it is a GDPR erasure: the last-sent attribution is forgotten too and only a log entry with a SHA-256 of the address is kept.',
    params: ContactParams,
    query: DeleteContactQuery,
    responses: { 200: ContactDeleted },
  },
  'contact-events.list': {
    summary: 'List a contact\'s events',
    description: 'The contact\'s timeline of tracked events (from `POST /v1/events`, conversions and campaign test events), newest first; `event` filters by name.',
    params: ContactEventsParams,
    query: ListContactEventsQuery,
    responses: { 200: pageOf(ContactEvent) },
  },
});
