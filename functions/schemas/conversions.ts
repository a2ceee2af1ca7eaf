import * as z from 'zod';
import { idOf, Timestamp } from './common.js';
import { defineRoutes } from './contract.js';
import { EmailAddress } from './emails.js';
import { EventName } from './conditions.js';

export const MAX_REVENUE = 1_000_000_000;
const MAX_METADATA_BYTES = 4096;
/** The currencies this runtime knows (ISO 4217), e.g. USD, EUR, JPY. */
const CURRENCIES = new Set(Intl.supportedValuesOf('currency'));

export const ConversionBody = z.strictObject({
  email: EmailAddress.describe('The person who converted; a contact is created if the team has none with this address.'),
  event: EventName.default('purchase').describe('Recorded on the contact like a tracked event: campaigns whose goal it is end for the contact.'),
  revenue: z
    .number()
    .min(0)
    .max(MAX_REVENUE)
    .refine((amount) => Math.abs(Math.round(amount * 100) - amount * 100) < 1e-6, 'At most 2 decimals.')
    .optional(),
  currency: z
    .string()
    .refine((code) => /^[A-Z]{3}$/.test(code) && CURRENCIES.has(code), 'An ISO 4217 currency code in upper case, e.g. USD.')
    .default('USD'),
  order_id: z.string().trim().min(1).max(200).optional().describe('Your order id: a second conversion with the same order_id in the team is refused (409).'),
  metadata: z
    .record(z.string().min(1).max(100), z.unknown())
    .superRefine((value, ctx) => {
      const bytes = Buffer.byteLength(JSON.stringify(value));
      if (bytes > MAX_METADATA_BYTES) ctx.addIssue({ code: 'custom', message: `Metadata must be at most ${MAX_METADATA_BYTES} bytes as JSON (got ${bytes}).` });
    })
    .optional(),
});
export type ConversionBody = z.output<typeof ConversionBody>;

export const Conversion = z
  .object({
    id: idOf('conversion'),
    contact_id: idOf('contact'),
    contact_created: z.boolean().describe('The contact did not exist before this conversion.'),
    event: z.string().describe('The event tracked on the contact.'),
    revenue: z.number().nullable().describe('In `currency` units; null when none was given.'),
    currency: z.string().describe('ISO 4217 code of the revenue.'),
    order_id: z.string().nullable(),
    email_id: idOf('email').nullable().describe('Last touch: the most recent email sent to the address within the attribution window.'),
    campaign_id: idOf('campaign').nullable().describe('The campaign that sent that email, if any.'),
    attributed: z.boolean().describe('An email within the attribution window was credited (email_id is set).'),
    ended_enrollments: z.array(z.string()).describe('Names of the campaigns whose goal this event is and whose enrolment of the contact it ended.'),
    created_at: Timestamp,
  })
  .meta({ id: 'Conversion' });
export type Conversion = z.infer<typeof Conversion>;

export const CONVERSION_ROUTES = defineRoutes({
  'conversions.create': {
    summary: 'Record a conversion',
    description:
      'Credits the conversion (last touch) to the most recent email sent to the address within the attribution window (7 days unless the deployment sets another), and to that email\'s campaign; it counts in the team\'s and that campaign\'s stats. ' +
      'The conversion is also tracked as `event` on the contact (created if the team has none with the address; a new one sends a `contact.created` webhook event), which ends the enrolments whose goal it is and can trigger campaigns. ' +
      'A second conversion with the same `order_id` is refused with 409 and the existing `conversion_id`; a retry of the same body after an interrupted attempt finishes that attempt instead. Send an `Idempotency-Key` to make retries safe.',
    body: ConversionBody,
    responses: { 201: Conversion },
    errors: ['conflict'],
  },
});
