import * as z from 'zod';
import { idOf, ListQuery, pageOf, ShortDescription, Timestamp, someFieldGiven } from './common.js';
import { defineRoutes } from './contract.js';
import { Address, EmailAddress } from './emails.js';

export const MAX_LISTS_PER_TEAM = 100;

const ListName = z.string().trim().min(1).max(100).regex(/^[^\r\n\0]*$/, 'Must not contain line breaks.');

const ConfirmationSettings = z.strictObject({
  from: Address.describe('Sender of the confirmation email: an address on a verified domain of the team.'),
  subject: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .regex(/^[^\r\n\0]*$/, 'Must not contain line breaks.')
    .nullable()
    .default(null)
    .describe('Defaults to "Confirm your subscription to <list name>".'),
});

const confirmationRequired = (body: { double_opt_in?: boolean; confirmation?: unknown }, ctx: z.RefinementCtx) => {
  if (body.double_opt_in && !body.confirmation) {
    ctx.addIssue({ code: 'custom', path: ['confirmation'], message: 'Give confirmation.from: double opt-in sends a confirmation email.' });
  }
};

export const CreateListBody = z
  .strictObject({
    name: ListName,
    description: ShortDescription.default(null),
    double_opt_in: z.boolean().default(false).describe('New subscribers stay pending until they click the link in a confirmation email.'),
    confirmation: ConfirmationSettings.nullable().default(null).describe('Required with double_opt_in.'),
  })
  .superRefine(confirmationRequired);
export type CreateListBody = z.output<typeof CreateListBody>;

export const UpdateListBody = z
  .strictObject({
    name: ListName.optional(),
    description: ShortDescription.optional(),
    double_opt_in: z
      .boolean()
      .optional()
      .describe('Turning it off leaves pending members pending (their links still work); turning it on applies to new subscriptions.'),
    confirmation: ConfirmationSettings.nullable().optional(),
  })
  // Whether double opt-in has its confirmation settings depends on what is stored: checked on the merged list.
  .refine(...someFieldGiven);
export type UpdateListBody = z.output<typeof UpdateListBody>;

export const List = z
  .object({
    id: idOf('list'),
    name: z.string(),
    description: z.string().nullable(),
    double_opt_in: z.boolean().describe('New subscribers stay pending until they click the link in a confirmation email.'),
    confirmation: z
      .object({ from: z.object({ email: z.string(), name: z.string().optional() }), subject: z.string().nullable() })
      .nullable()
      .describe('The confirmation email\'s sender and subject (null subject: "Confirm your subscription to <list name>").'),
    created_at: Timestamp,
    updated_at: Timestamp,
    version: z.number().int().describe('Increases with every change; the ETag, for If-Match.'),
  })
  .meta({ id: 'List' });
export type List = z.infer<typeof List>;

export const ListParams = z.strictObject({ id: idOf('list') });
export const ListMemberParams = z.strictObject({ id: idOf('list'), contact_id: idOf('contact') });

export const MEMBERSHIP_STATUSES = ['subscribed', 'pending', 'unsubscribed'] as const;
export const MembershipStatus = z.enum(MEMBERSHIP_STATUSES);
export type MembershipStatus = z.infer<typeof MembershipStatus>;

/** One contact's membership of one list. */
export const ListMember = z
  .object({
    list_id: idOf('list'),
    contact_id: idOf('contact'),
    email: z.string(),
    status: MembershipStatus.describe('pending: waiting for the confirmation click of a double opt-in list.'),
    subscribed_at: Timestamp.nullable().describe('When the current subscription was confirmed.'),
    first_subscribed_at: Timestamp.nullable().describe('The first confirmed subscription ever; signup campaigns start only then.'),
    unsubscribed_at: Timestamp.nullable(),
    confirmation_sent_at: Timestamp.nullable().describe('When the last confirmation email went out; null if none was sent (or the address is suppressed).'),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .meta({ id: 'ListMember' });
export type ListMember = z.infer<typeof ListMember>;

export const ListMembersQuery = ListQuery.extend({
  status: MembershipStatus.optional().describe('Only members with this status. Without it: subscribed, then pending, then unsubscribed, each newest first.'),
});
export type ListMembersQuery = z.output<typeof ListMembersQuery>;

export const SubscribeBody = z
  .strictObject({
    email: EmailAddress.optional().describe('Creates the contact if the team has none with this address.'),
    contact_id: idOf('contact').optional(),
  })
  .superRefine((body, ctx) => {
    if ((body.email === undefined) === (body.contact_id === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['email'], message: 'Give either email or contact_id.' });
    }
  });
export type SubscribeBody = z.output<typeof SubscribeBody>;

export const ConfirmParams = z.strictObject({ token: z.string().min(10).max(1024) });

/** What subscribing answers: the membership and what the subscription set off. */
export const ListSubscription = ListMember.extend({
  first_subscription: z.boolean().describe('The contact\'s first confirmed subscription to the list: its signup campaigns started.'),
  confirmation_email_id: idOf('email').nullable().describe('The confirmation email sent now (double opt-in); null when none was due or the address is suppressed.'),
  enrolled_campaigns: z.array(z.string()).describe('Names of the signup campaigns the contact was enrolled in.'),
}).meta({ id: 'ListSubscription' });
export type ListSubscription = z.infer<typeof ListSubscription>;

/** What opening (or POSTing) a confirmation link answers as JSON. */
export const ListConfirmation = z
  .object({
    confirmed: z.literal(true),
    list: List,
    member: ListMember,
    already_confirmed: z.boolean().describe('The link had been used before: nothing changed.'),
    enrolled_campaigns: z.array(z.string()).describe('Names of the signup campaigns this first confirmation enrolled the contact in.'),
  })
  .meta({ id: 'ListConfirmation' });
export type ListConfirmation = z.infer<typeof ListConfirmation>;

export const ListDeleted = z.object({ id: idOf('list'), deleted: z.literal(true) });
export type ListDeleted = z.infer<typeof ListDeleted>;

const CONFIRM_DESCRIPTION =
  'The link of a double opt-in confirmation email; no key, the signed token is the authorization. The pending member becomes subscribed ' +
  '(publishing `contact.updated`; a first subscription starts the list\'s signup campaigns); using the link again changes nothing. ' +
  'A forged or expired link, a cancelled subscription or a deleted list is a 404 whose `error.reason` says which ' +
  '(`invalid`, `expired`, `cancelled`, `list_deleted`).';

export const LIST_ROUTES = defineRoutes({
  'lists.confirm': {
    summary: 'Confirm a list subscription',
    description: `${CONFIRM_DESCRIPTION} A browser (\`Accept: text/html\`) gets an HTML page instead of JSON, for errors too.`,
    params: ConfirmParams,
    responses: { 200: ListConfirmation },
    errors: ['not_found', 'conflict'],
    browserPage: true,
  },
  'lists.confirm-one-click': {
    summary: 'Confirm a list subscription (one-click POST)',
    description: `${CONFIRM_DESCRIPTION} The body, if any, is a form (\`application/x-www-form-urlencoded\` or \`multipart/form-data\`) and is not read; JSON is refused.`,
    params: ConfirmParams,
    responses: { 200: ListConfirmation },
    errors: ['not_found', 'conflict', 'payload_too_large'],
  },
  'lists.create': {
    summary: 'Create a list',
    description: `A team has at most ${MAX_LISTS_PER_TEAM} lists. A double opt-in list needs \`confirmation.from\`, an address on a verified domain of the team.`,
    body: CreateListBody,
    responses: { 201: List },
    errors: ['validation_error'],
  },
  'lists.list': {
    summary: 'List lists',
    description: 'The team\'s lists, newest first.',
    query: ListQuery,
    responses: { 200: pageOf(List) },
  },
  'lists.get': {
    summary: 'Get a list',
    params: ListParams,
    responses: { 200: List },
  },
  'lists.update': {
    summary: 'Update a list',
    description:
      'Double opt-in needs confirmation settings, given now or stored. Turning double opt-in off leaves pending members pending (their links still work). Honours If-Match.',
    params: ListParams,
    body: UpdateListBody,
    responses: { 200: List },
    errors: ['validation_error', 'conflict'],
    headers: ['If-Match'],
  },
  'lists.delete': {
    summary: 'Delete a list',
    description:
      'The list disappears at once (and no longer counts against the limit); its memberships, and the list in each member\'s `lists`, are removed in the background.',
    params: ListParams,
    responses: { 200: ListDeleted },
  },
  'lists.members': {
    summary: 'List a list\'s members',
    description: 'Memberships in every status, or one with `status`: subscribed, then pending, then unsubscribed, each newest first (by when the member entered the status).',
    params: ListParams,
    query: ListMembersQuery,
    responses: { 200: pageOf(ListMember) },
  },
  'lists.subscribe': {
    summary: 'Subscribe a contact to a list',
    description:
      'By `contact_id`, or by `email` (the contact is created if the team has none). 201 when the membership is new, 200 otherwise. ' +
      'On a double opt-in list the member is pending and a confirmation email is sent through the normal send path (quota, suppression list); ' +
      'subscribing a pending member again resends it at most every 10 minutes. A first confirmed subscription starts the list\'s signup campaigns. ' +
      'Publishes `contact.updated`. A contact unsubscribed from everything stays so: campaigns and broadcasts still skip it.',
    params: ListParams,
    body: SubscribeBody,
    responses: { 200: ListSubscription, 201: ListSubscription },
    errors: ['validation_error', 'conflict', 'quota_exceeded', 'sending_paused', 'service_unavailable'],
  },
  'lists.unsubscribe': {
    summary: 'Unsubscribe a contact from a list',
    description:
      'From this list only (a pending subscription is cancelled); the contact\'s `subscribed` (everything) is left alone. Repeating it changes nothing. ' +
      'Publishes `contact.updated`, and `contact.unsubscribed` when a subscribed member leaves.',
    params: ListMemberParams,
    responses: { 200: ListMember },
    errors: ['conflict'],
  },
});
