import * as z from 'zod';
import { EmailAddress } from './emails.js';
import { ListQuery, Timestamp } from './common.js';

export const SUPPRESSION_REASONS = ['hard_bounce', 'complaint', 'unsubscribe', 'manual'] as const;

export const Suppression = z.object({
  email: z.string(),
  reason: z.enum(SUPPRESSION_REASONS),
  /** The email whose bounce, complaint or unsubscribe caused it. */
  source_email_id: z.string().nullable(),
  created_at: Timestamp,
});
export type Suppression = z.infer<typeof Suppression>;

export const CreateSuppressionBody = z.strictObject({ email: EmailAddress });
export const SuppressionParams = z.strictObject({ email: EmailAddress });
export const ListSuppressionsQuery = ListQuery;
