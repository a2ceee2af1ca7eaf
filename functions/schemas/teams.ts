import * as z from 'zod';
import { idOf, ListQuery, Timestamp } from './common.js';
import { ApiKeyCreated } from './api-keys.js';

export const Team = z.object({
  id: idOf('team'),
  slug: z.string(),
  name: z.string(),
  /** Emails a team may send per UTC day / calendar month; null means the deployment default. */
  daily_quota: z.number().int().nullable(),
  monthly_quota: z.number().int().nullable(),
  /** Bytes the team may keep in media storage; null means the deployment default, 0 unlimited. */
  storage_quota_bytes: z.number().int().nullable(),
  created_at: Timestamp,
  updated_at: Timestamp,
  version: z.number().int(),
});
export type Team = z.infer<typeof Team>;

const Slug = z
  .string()
  .min(2)
  .max(48)
  .regex(/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/, 'Use lowercase letters, digits and inner hyphens.');
const TeamName = z.string().trim().min(1).max(100);

export const CreateTeamBody = z.strictObject({ slug: Slug, name: TeamName });
/** Recipients per period; 0 stops sending; null means the deployment default. */
const Quota = z.number().int().min(0).max(1_000_000_000).nullable();
const StorageQuota = z.number().int().min(0).max(2 ** 50).nullable();
export const UpdateTeamBody = z.strictObject({
  name: TeamName.optional(),
  daily_quota: Quota.optional(),
  monthly_quota: Quota.optional(),
  storage_quota_bytes: StorageQuota.optional(),
});
export const TeamParams = z.strictObject({ id: idOf('team') });
export const ListTeamsQuery = ListQuery;

/** Creating a team also creates its first admin key: the only way a team gets its first key. */
export const TeamCreated = Team.extend({ api_key: ApiKeyCreated });
