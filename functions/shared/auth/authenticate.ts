/**
 * Resolves the caller from `Authorization: Bearer <key>` and checks the route's access rule.
 * One strongly consistent GetItem per request (none for the root key): revoking or changing a key takes
 * effect on the next request.
 */
import { ApiError } from '../errors.js';
import { findApiKeyForAuth, type StoredApiKey } from '../../repositories/api-keys.js';
import type { RouteAccess } from '../../../lib/routes.js';
import { hasScope, SCOPES } from './scopes.js';
import { getPepper, getRootKey } from './secrets.js';
import { hashToken, parseToken, tokenMatches } from './api-key-token.js';
import type { Principal } from '../http/types.js';

const invalidKey = () => new ApiError('authentication_required', 'The API key is invalid or has been revoked.');

export interface Authenticated {
  principal: Principal;
  /** Present for stored keys: when the key was last recorded as used. */
  key?: StoredApiKey;
}

const bearerToken = (authorization: string) => /^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1];

/** Keys this container authenticated lately (least recently used first), bounded so memory stays flat. */
const hints = new Map<string, Principal>();
const MAX_HINTS = 1000;

/**
 * The principal this container last authenticated for the token's key id, if any: a guess, never a proof (the
 * secret is unchecked, the scopes and rate limit may have changed since). What it says that cannot change (a
 * key's team and inbox) lets the caller start the request's team-scoped work (rate counting, reads) while the
 * key is read; the work must wait for authenticate()'s answer before it writes or answers.
 */
export function principalHint(authorization: string | undefined): Principal | undefined {
  const token = authorization && bearerToken(authorization);
  const parsed = token ? parseToken(token) : undefined;
  return parsed?.kind === 'key' ? hints.get(parsed.keyId) : undefined;
}

function rememberHint(principal: Principal): void {
  hints.delete(principal.keyId);
  hints.set(principal.keyId, principal);
  if (hints.size > MAX_HINTS) hints.delete(hints.keys().next().value!);
}

export async function authenticate(authorization: string | undefined): Promise<Authenticated> {
  if (!authorization) {
    throw new ApiError('authentication_required', 'Send your API key as "Authorization: Bearer mr_…".');
  }
  const token = bearerToken(authorization);
  const parsed = token ? parseToken(token) : undefined;
  if (!token || !parsed) throw new ApiError('authentication_required', 'The Authorization header must be "Bearer mr_…".');
  const pepper = await getPepper();

  if (parsed.kind === 'root') {
    const rootHash = hashToken(await getRootKey(), pepper);
    if (!tokenMatches(token, rootHash, pepper)) throw invalidKey();
    return { principal: { kind: 'root', keyId: 'root', teamId: null, scopes: SCOPES, rateLimit: null } };
  }

  const key = await findApiKeyForAuth(parsed.keyId);
  if (!key || key.revoked_at || !tokenMatches(token, key.secret_hash, pepper)) {
    hints.delete(parsed.keyId);
    throw invalidKey();
  }
  const principal: Principal =
    key.kind === 'inbox' && key.inbox_id
      ? { kind: 'inbox', keyId: key.id, teamId: key.team_id, inboxId: key.inbox_id, scopes: key.scopes, rateLimit: key.rate_limit }
      : { kind: 'team', keyId: key.id, teamId: key.team_id, scopes: key.scopes, rateLimit: key.rate_limit };
  rememberHint(principal);
  return { principal, key };
}

export function authorize(principal: Principal, access: Exclude<RouteAccess, 'public'>): void {
  if (access === 'root') {
    if (principal.kind !== 'root') throw new ApiError('insufficient_permissions', 'This endpoint requires the root key.');
    return;
  }
  if (principal.kind === 'root') {
    if (!access.root) throw new ApiError('insufficient_permissions', 'This endpoint acts on a team: use a team API key, not the root key.');
    return;
  }
  if (principal.kind === 'inbox' && !access.inboxKeys) {
    throw new ApiError('insufficient_permissions', 'Inbox keys can only use their own inbox; this endpoint needs a team key.');
  }
  const required = principal.kind === 'inbox' ? (access.inboxScope ?? access.scope) : access.scope;
  if (required !== 'any' && !hasScope(principal.scopes, required)) {
    throw new ApiError('insufficient_permissions', `This API key lacks the "${required}" scope.`, {
      param: 'scope',
      details: { required_scope: required },
    });
  }
}
