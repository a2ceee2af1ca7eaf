import * as z from 'zod';
import { idOf, Timestamp } from './common.js';
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

export const Conversion = z.object({
  id: idOf('conversion'),
  contact_id: idOf('contact'),
  contact_created: z.boolean().describe('The contact did not exist before this conversion.'),
  event: z.string(),
  revenue: z.number().nullable(),
  currency: z.string(),
  order_id: z.string().nullable(),
  email_id: idOf('email').nullable().describe('Last touch: the most recent email sent to the address within the attribution window.'),
  campaign_id: idOf('campaign').nullable().describe('The campaign that sent that email, if any.'),
  attributed: z.boolean(),
  ended_enrollments: z.array(z.string()).describe('Names of the campaigns whose goal this event is and whose enrolment of the contact it ended.'),
  created_at: Timestamp,
});
export type Conversion = z.infer<typeof Conversion>;
