import * as z from 'zod';
import { EmailAddress } from './emails.js';
import { ListQuery, pageOf, Timestamp } from './common.js';
import { defineRoutes } from './contract.js';

export const SUPPRESSION_REASONS = ['hard_bounce', 'complaint', 'unsubscribe', 'manual'] as const;

export const Suppression = z
  .object({
    email: z.string().describe('The suppressed address, lowercased.'),
    reason: z.enum(SUPPRESSION_REASONS).describe('Why it was first suppressed: a permanent bounce, a complaint, a one-click unsubscribe, or added through the API.'),
    source_email_id: z.string().nullable().describe('The email whose bounce, complaint or unsubscribe caused it; null for `manual`.'),
    created_at: Timestamp,
  })
  .meta({ id: 'Suppression' });
export type Suppression = z.infer<typeof Suppression>;

export const CreateSuppressionBody = z.strictObject({ email: EmailAddress });
export const SuppressionParams = z.strictObject({ email: EmailAddress });
export const ListSuppressionsQuery = ListQuery;

export const SuppressionDeleted = z.object({ email: z.string(), deleted: z.literal(true) });

/** The signed token of a one-click unsubscribe link (RFC 8058), as mail clients POST it. */
export const UnsubscribeParams = z.strictObject({ token: z.string().min(10).max(1024) });
export const Unsubscribed = z.object({
  unsubscribed: z.literal(true),
  email: z.string().describe('The address the link was sent to, now suppressed for the team.'),
});

export const SUPPRESSION_ROUTES = defineRoutes({
  'suppressions.create': {
    summary: 'Suppress an address',
    description:
      'No email of the team reaches the address from then on: sends skip it (`suppressed` in `recipients`). ' +
      'Answers 201 when added, 200 with the existing entry (its first reason kept) when the address was already suppressed.',
    body: CreateSuppressionBody,
    responses: { 200: Suppression, 201: Suppression },
  },
  'suppressions.list': {
    summary: 'List suppressed addresses',
    description: 'The team\'s suppression list, newest first: bounces, complaints and unsubscribes are added automatically, besides the addresses added through the API.',
    query: ListSuppressionsQuery,
    responses: { 200: pageOf(Suppression) },
  },
  'suppressions.delete': {
    summary: 'Remove a suppressed address',
    description: 'The team may send to the address again. A later bounce, complaint or unsubscribe suppresses it anew.',
    params: SuppressionParams,
    responses: { 200: SuppressionDeleted },
  },
  'unsubscribe.confirm': {
    summary: 'Unsubscribe through a one-click link',
    description:
      'The target of the `List-Unsubscribe` header of emails sent with `list_unsubscribe: true` (RFC 8058): mail clients POST ' +
      '`List-Unsubscribe=One-Click` as a form (`application/x-www-form-urlencoded` or `multipart/form-data`; an empty body is accepted too). ' +
      'No key: the signed token is the authorization. The address is suppressed for the team and the team\'s contact with it, if any, ' +
      'is unsubscribed from everything (`contact.updated` and `contact.unsubscribed` events). Repeating it changes nothing.',
    params: UnsubscribeParams,
    responses: { 200: Unsubscribed },
    errors: ['payload_too_large'],
  },
});
