import * as z from 'zod';
import { SCOPES } from '../shared/auth/scopes.js';
import { idOf, ListQuery, RateLimit, Timestamp } from './common.js';

export const Scope = z.enum(SCOPES);

export const ApiKey = z.object({
  id: idOf('apiKey'),
  team_id: idOf('team'),
  kind: z.enum(['team', 'inbox']),
  inbox_id: z.string().nullable(),
  name: z.string(),
  scopes: z.array(Scope),
  rate_limit: RateLimit,
  token_hint: z.string().describe('First and last characters of the key, to recognise it. Never the key.'),
  created_at: Timestamp,
  last_used_at: Timestamp.nullable(),
  version: z.number().int(),
});
export type ApiKey = z.infer<typeof ApiKey>;

/** The only response that ever contains the key itself. */
export const ApiKeyCreated = ApiKey.extend({ key: z.string().describe('The API key. Shown once: store it now.') });

const KeyName = z.string().trim().min(1).max(100);
const Scopes = z.array(Scope).min(1).max(SCOPES.length).refine((s) => new Set(s).size === s.length, 'Scopes must not repeat.');

export const CreateApiKeyBody = z.strictObject({
  name: KeyName,
  scopes: Scopes.default(['read', 'write', 'send']),
  rate_limit: RateLimit.optional(),
});
export const UpdateApiKeyBody = z.strictObject({
  name: KeyName.optional(),
  scopes: Scopes.optional(),
  rate_limit: RateLimit.optional(),
});
export const ApiKeyParams = z.strictObject({ id: idOf('apiKey') });
export const ListApiKeysQuery = ListQuery;
