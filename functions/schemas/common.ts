import * as z from 'zod';
import { ID_PREFIX, type IdKind } from '../shared/ids.js';

export const idOf = (kind: IdKind) =>
  z.string().regex(new RegExp(`^${ID_PREFIX[kind]}_[0-9a-hjkmnp-tv-z]{26}$`), `Must be a ${ID_PREFIX[kind]}_… id.`);

export const ListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20).describe('Items per page (1–100, default 20).'),
  cursor: z.string().min(1).max(2048).optional().describe('The `next_cursor` of the previous page; omit for the first (newest) page.'),
});

export const Timestamp = z.iso.datetime({ offset: true });

/** Requests per rate-limit window for one key; null means the deployment default. */
export const RateLimit = z.number().int().min(1).max(1_000_000).nullable();

export const pageOf = <T extends z.ZodType>(item: T) => z.object({ data: z.array(item), next_cursor: z.string().nullable() });

/** A `true`/`false` query parameter (query strings carry no booleans). */
export const QueryFlag = z.enum(['true', 'false']).transform((value) => value === 'true');

/** Base64 as RFC 4648 writes it: no whitespace, no URL-safe alphabet, correct padding. */
export const StrictBase64 = z.string().min(1).regex(/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/, 'Must be strict base64 (no whitespace, correct padding).');

/** A MIME type like "application/pdf" (no parameters, no line breaks). */
export const MimeType = z
  .string()
  .max(255)
  .regex(/^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/i, 'Must be a MIME type like "application/pdf".');

/** A free-text description; null clears it. */
export const ShortDescription = z.string().trim().max(500).nullable();

/** The refinement of every PATCH body: at least one field given (`.refine(...someFieldGiven)`). */
export const someFieldGiven = [(body: object) => Object.values(body).some((value) => value !== undefined), 'Give at least one field to change.'] as const;

/** The name of a campaign or segment. */
export const ResourceName = z.string().trim().min(1).max(200);

/** What an `Idempotency-Key` header may hold (checked by functions/shared/http/idempotency.ts, published in OpenAPI). */
export const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9\-._~]{1,256}$/;
