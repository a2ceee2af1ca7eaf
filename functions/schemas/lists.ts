import * as z from 'zod';
import { idOf, ListQuery, ShortDescription, Timestamp, someFieldGiven } from './common.js';
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

export const List = z.object({
  id: idOf('list'),
  name: z.string(),
  description: z.string().nullable(),
  double_opt_in: z.boolean(),
  confirmation: z.object({ from: z.object({ email: z.string(), name: z.string().optional() }), subject: z.string().nullable() }).nullable(),
  created_at: Timestamp,
  updated_at: Timestamp,
  version: z.number().int(),
});
export type List = z.infer<typeof List>;

export const ListParams = z.strictObject({ id: idOf('list') });
export const ListMemberParams = z.strictObject({ id: idOf('list'), contact_id: idOf('contact') });

export const MEMBERSHIP_STATUSES = ['subscribed', 'pending', 'unsubscribed'] as const;
export const MembershipStatus = z.enum(MEMBERSHIP_STATUSES);
export type MembershipStatus = z.infer<typeof MembershipStatus>;

/** One contact's membership of one list. */
export const ListMember = z.object({
  list_id: idOf('list'),
  contact_id: idOf('contact'),
  email: z.string(),
  status: MembershipStatus.describe('pending: waiting for the confirmation click of a double opt-in list.'),
  subscribed_at: Timestamp.nullable().describe('When the current subscription was confirmed.'),
  first_subscribed_at: Timestamp.nullable().describe('The first confirmed subscription ever; signup campaigns start only then.'),
  unsubscribed_at: Timestamp.nullable(),
  confirmation_sent_at: Timestamp.nullable(),
  created_at: Timestamp,
  updated_at: Timestamp,
});
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
