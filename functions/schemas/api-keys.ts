import * as z from 'zod';
import { SCOPES } from '../shared/auth/scopes.js';
import { idOf, ListQuery, pageOf, RateLimit, Timestamp } from './common.js';
import { defineRoutes } from './contract.js';

export const Scope = z.enum(SCOPES);

export const ApiKey = z
  .object({
    id: idOf('apiKey'),
    team_id: idOf('team'),
    kind: z.enum(['team', 'inbox']).describe('`team` keys act for the team within their scopes; `inbox` keys (made with an inbox) reach only that inbox.'),
    inbox_id: z.string().nullable().describe('The inbox an inbox key is limited to; null for team keys.'),
    name: z.string(),
    scopes: z.array(Scope).describe('`admin` implies every scope, `write` implies `read`.'),
    rate_limit: RateLimit.describe('Requests per rate-limit window for this key; null means the deployment default.'),
    token_hint: z.string().describe('First and last characters of the key, to recognise it. Never the key.'),
    created_at: Timestamp,
    last_used_at: Timestamp.nullable().describe('When the key last authenticated a request (recorded at most about once a minute); null if never.'),
    version: z.number().int().describe('Increases with every change; the ETag, for If-Match.'),
  })
  .meta({ id: 'ApiKey' });
export type ApiKey = z.infer<typeof ApiKey>;

/** The only response that ever contains the key itself. */
export const ApiKeyCreated = ApiKey.extend({ key: z.string().describe('The API key. Shown once: store it now.') }).meta({ id: 'ApiKeyCreated' });

export const ApiKeyDeleted = z.object({ id: idOf('apiKey'), deleted: z.literal(true) });

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

export const API_KEY_ROUTES = defineRoutes({
  'api-keys.create': {
    summary: 'Create an API key',
    description:
      'A new key of the caller\'s team. The key itself is in `key` of this response only: store it now (only its hash is kept). ' +
      'Scopes default to `read`, `write` and `send`.',
    body: CreateApiKeyBody,
    responses: { 201: ApiKeyCreated },
  },
  'api-keys.list': {
    summary: 'List API keys',
    description: 'The team\'s live keys, newest first, inbox keys included. Keys are never shown, only their `token_hint`.',
    query: ListApiKeysQuery,
    responses: { 200: pageOf(ApiKey) },
  },
  'api-keys.get': {
    summary: 'Get an API key',
    params: ApiKeyParams,
    responses: { 200: ApiKey },
  },
  'api-keys.update': {
    summary: 'Update an API key',
    description: 'Renames the key or changes its scopes or rate limit, effective from its next request. Honours If-Match.',
    params: ApiKeyParams,
    body: UpdateApiKeyBody,
    responses: { 200: ApiKey },
    headers: ['If-Match'],
  },
  'api-keys.delete': {
    summary: 'Revoke an API key',
    description: 'The key fails authentication from the next request on and leaves the list. A key cannot be restored: create a new one.',
    params: ApiKeyParams,
    responses: { 200: ApiKeyDeleted },
  },
});
