import * as z from 'zod';
import { ID_PREFIX, type IdKind } from '../shared/ids.js';

export const idOf = (kind: IdKind) =>
  z.string().regex(new RegExp(`^${ID_PREFIX[kind]}_[0-9a-hjkmnp-tv-z]{26}$`), `Must be a ${ID_PREFIX[kind]}_… id.`);

export const ListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().min(1).max(2048).optional(),
});

export const Timestamp = z.iso.datetime({ offset: true });

/** Requests per rate-limit window for one key; null means the deployment default. */
export const RateLimit = z.number().int().min(1).max(1_000_000).nullable();

export const pageOf = <T extends z.ZodType>(item: T) => z.object({ data: z.array(item), next_cursor: z.string().nullable() });

/** A `true`/`false` query parameter (query strings carry no booleans). */
export const QueryFlag = z.enum(['true', 'false']).transform((value) => value === 'true');
