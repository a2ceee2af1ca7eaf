/**
 * The route table: the one list of HTTP routes. CDK creates one Lambda per entry (lib/constructs/http-api.ts)
 * and the local dev server serves the same entries in-process (local/api-server.ts). Handlers look up
 * their own entry to enforce access, body limits and idempotency. Keep this file free of CDK imports.
 */
import type { Scope } from '../functions/shared/auth/scopes.js';

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

/**
 * Who may call a route:
 * - `public`: no key;
 * - `root`: only the deployment's root key;
 * - `{ scope }`: a team key holding the scope; `root: true` also admits the root key;
 *   `inboxKeys: true` admits inbox keys (limited to their own inbox by the handler), which need `inboxScope`
 *   if given, else `scope` (an inbox key holds read and send: `inboxScope` lets it change its own inbox's
 *   messages where a team key needs write).
 */
export type RouteAccess =
  | 'public'
  | 'root'
  | { scope: Scope | 'any'; root?: boolean; inboxKeys?: boolean; inboxScope?: Scope };

export interface RouteDefinition {
  /** Stable id: `<resource>.<verb>`; also the handler's file under functions/http. */
  id: string;
  method: HttpMethod;
  /** API Gateway path syntax: `/v1/teams/{id}`. */
  path: string;
  access: RouteAccess;
  /** POSTs that create or send honour `Idempotency-Key`. */
  idempotent?: boolean;
  /** Body cap in UTF-8 bytes (default DEFAULT_MAX_BODY_BYTES). */
  maxBodyBytes?: number;
  /** Background queues the handler sends to (names from lib/queues.ts): CDK grants exactly these. */
  sendsTo?: readonly string[];
  /** Other AWS capabilities the handler needs; CDK maps each to its env vars and grants. */
  uses?: readonly Capability[];
  /**
   * The handler's reads run while the request is counted against the rate limits and, for a key the container
   * has authenticated before, while the key itself is read (functions/shared/http/middleware/access.ts): one
   * round trip instead of three on the hottest routes. It must `await request.admitted()` before its first write.
   */
  readsWhileCounting?: true;
}

/**
 * Authenticated routes always get `table` and the key secrets; public routes declare what they need.
 * - `table`: item-level read/write on the single table;
 * - `pepper`: read the pepper secret (signed links);
 * - `ses-identities`: create, read and delete SES email identities and their MAIL FROM settings;
 * - `ses-send`: send through the deployment's configuration sets;
 * - `mail-store-write` / `mail-store-read`: the mail bucket (message payloads, attachments, raw MIME);
 * - `mail-store-purge`: list and delete in the mail bucket (purging deleted inboxes);
 * - `media-read` / `media-write` / `media-delete`: the media bucket of the storage API (write includes
 *   object tags, which decide what the CDN may serve); read also gives the public base URL.
 * - `campaign-runs`: start executions of the campaign state machine (enrolments).
 */
export type Capability =
  | 'table'
  | 'pepper'
  | 'ses-identities'
  | 'ses-send'
  | 'mail-store-write'
  | 'mail-store-read'
  | 'mail-store-purge'
  | 'media-read'
  | 'media-write'
  | 'media-delete'
  | 'campaign-runs';

/**
 * Lambda's synchronous payload limit is 6 MB; base64 attachments inflate by 4/3, so this admits about
 * 4 MB of attachments per request. Larger files go in by reference to a stored object.
 */
export const EMAIL_MAX_BODY_BYTES = 5_500_000;

export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

export const ROUTES = [
  { id: 'health.get', method: 'GET', path: '/health', access: 'public' },
  { id: 'me.get', method: 'GET', path: '/v1/me', access: { scope: 'any', root: true, inboxKeys: true } },

  // The developer surface, generated from the route table and the contracts (functions/domain/openapi.ts).
  { id: 'reference.openapi', method: 'GET', path: '/openapi.json', access: 'public' },
  { id: 'reference.docs', method: 'GET', path: '/docs', access: 'public' },
  { id: 'reference.llms', method: 'GET', path: '/llms.txt', access: 'public' },
  // The MCP server over Streamable HTTP (packages/mcp): its tools call this API back with the caller's own key.
  // A tool call may carry a send's inline attachments, hence the email body cap.
  { id: 'mcp.post', method: 'POST', path: '/mcp', access: { scope: 'any', inboxKeys: true }, maxBodyBytes: EMAIL_MAX_BODY_BYTES },

  { id: 'teams.create', method: 'POST', path: '/v1/teams', access: 'root', idempotent: true },
  { id: 'teams.list', method: 'GET', path: '/v1/teams', access: 'root' },
  { id: 'teams.get', method: 'GET', path: '/v1/teams/{id}', access: 'root' },
  { id: 'teams.update', method: 'PATCH', path: '/v1/teams/{id}', access: 'root' },
  { id: 'teams.delete', method: 'DELETE', path: '/v1/teams/{id}', access: 'root', sendsTo: ['team-purge'] },

  { id: 'api-keys.create', method: 'POST', path: '/v1/api-keys', access: { scope: 'admin' }, idempotent: true },
  { id: 'api-keys.list', method: 'GET', path: '/v1/api-keys', access: { scope: 'admin' } },
  { id: 'api-keys.get', method: 'GET', path: '/v1/api-keys/{id}', access: { scope: 'admin' } },
  { id: 'api-keys.update', method: 'PATCH', path: '/v1/api-keys/{id}', access: { scope: 'admin' } },
  { id: 'api-keys.delete', method: 'DELETE', path: '/v1/api-keys/{id}', access: { scope: 'admin' } },

  { id: 'audit-log.list', method: 'GET', path: '/v1/audit-log', access: { scope: 'admin', root: true } },

  { id: 'domains.create', method: 'POST', path: '/v1/domains', access: { scope: 'admin' }, idempotent: true, uses: ['ses-identities'] },
  { id: 'domains.list', method: 'GET', path: '/v1/domains', access: { scope: 'read' } },
  { id: 'domains.get', method: 'GET', path: '/v1/domains/{id}', access: { scope: 'read' } },
  { id: 'domains.delete', method: 'DELETE', path: '/v1/domains/{id}', access: { scope: 'admin' }, uses: ['ses-identities'] },
  { id: 'domains.verify', method: 'POST', path: '/v1/domains/{id}/verify', access: { scope: 'admin' }, uses: ['ses-identities'], sendsTo: ['webhook-fanout'] },

  { id: 'inboxes.create', method: 'POST', path: '/v1/inboxes', access: { scope: 'admin' }, idempotent: true },
  { id: 'inboxes.list', method: 'GET', path: '/v1/inboxes', access: { scope: 'read' } },
  { id: 'inboxes.get', method: 'GET', path: '/v1/inboxes/{id}', access: { scope: 'read', inboxKeys: true } },
  { id: 'inboxes.update', method: 'PATCH', path: '/v1/inboxes/{id}', access: { scope: 'write' } },
  { id: 'inboxes.delete', method: 'DELETE', path: '/v1/inboxes/{id}', access: { scope: 'admin' }, sendsTo: ['team-purge'] },

  { id: 'inbox-messages.list', method: 'GET', path: '/v1/inboxes/{id}/messages', access: { scope: 'read', inboxKeys: true } },
  { id: 'inbox-messages.get', method: 'GET', path: '/v1/inboxes/{id}/messages/{message_id}', access: { scope: 'read', inboxKeys: true }, uses: ['mail-store-read'] },
  { id: 'inbox-messages.raw', method: 'GET', path: '/v1/inboxes/{id}/messages/{message_id}/raw', access: { scope: 'read', inboxKeys: true }, uses: ['mail-store-read'] },
  { id: 'inbox-messages.update', method: 'PATCH', path: '/v1/inboxes/{id}/messages/{message_id}', access: { scope: 'write', inboxKeys: true, inboxScope: 'read' } },
  { id: 'inbox-threads.list', method: 'GET', path: '/v1/inboxes/{id}/threads', access: { scope: 'read', inboxKeys: true } },
  { id: 'inbox-threads.get', method: 'GET', path: '/v1/inboxes/{id}/threads/{thread_id}', access: { scope: 'read', inboxKeys: true } },

  { id: 'templates.create', method: 'POST', path: '/v1/templates', access: { scope: 'write' }, idempotent: true, maxBodyBytes: 512 * 1024 },
  { id: 'templates.list', method: 'GET', path: '/v1/templates', access: { scope: 'read' } },
  { id: 'templates.get', method: 'GET', path: '/v1/templates/{id}', access: { scope: 'read' } },
  { id: 'templates.update', method: 'PATCH', path: '/v1/templates/{id}', access: { scope: 'write' }, maxBodyBytes: 512 * 1024 },
  { id: 'templates.delete', method: 'DELETE', path: '/v1/templates/{id}', access: { scope: 'write' } },
  { id: 'templates.render', method: 'POST', path: '/v1/templates/{id}/render', access: { scope: 'read' }, maxBodyBytes: 256 * 1024 },

  { id: 'emails.send', method: 'POST', path: '/v1/emails', access: { scope: 'send' }, idempotent: true, maxBodyBytes: EMAIL_MAX_BODY_BYTES, sendsTo: ['send'], uses: ['mail-store-write', 'media-read'], readsWhileCounting: true },
  { id: 'emails.batch', method: 'POST', path: '/v1/emails/batch', access: { scope: 'send' }, idempotent: true, maxBodyBytes: EMAIL_MAX_BODY_BYTES, sendsTo: ['send'], uses: ['mail-store-write', 'media-read'], readsWhileCounting: true },
  { id: 'emails.list', method: 'GET', path: '/v1/emails', access: { scope: 'read' } },
  { id: 'emails.get', method: 'GET', path: '/v1/emails/{id}', access: { scope: 'read' } },
  { id: 'emails.cancel', method: 'POST', path: '/v1/emails/{id}/cancel', access: { scope: 'send' } },

  { id: 'suppressions.create', method: 'POST', path: '/v1/suppressions', access: { scope: 'write' } },
  { id: 'suppressions.list', method: 'GET', path: '/v1/suppressions', access: { scope: 'read' } },
  { id: 'suppressions.delete', method: 'DELETE', path: '/v1/suppressions/{email}', access: { scope: 'write' } },

  { id: 'unsubscribe.confirm', method: 'POST', path: '/v1/unsubscribe/{token}', access: 'public', maxBodyBytes: 1024, uses: ['table', 'pepper'], sendsTo: ['webhook-fanout'] },

  { id: 'inbox-sends.send', method: 'POST', path: '/v1/inboxes/{id}/messages', access: { scope: 'send', inboxKeys: true }, idempotent: true, maxBodyBytes: EMAIL_MAX_BODY_BYTES, sendsTo: ['send'], uses: ['mail-store-write'] },
  { id: 'inbox-sends.reply', method: 'POST', path: '/v1/inboxes/{id}/messages/{message_id}/reply', access: { scope: 'send', inboxKeys: true }, idempotent: true, maxBodyBytes: EMAIL_MAX_BODY_BYTES, sendsTo: ['send'], uses: ['mail-store-write'] },
  { id: 'inbox-sends.reply-all', method: 'POST', path: '/v1/inboxes/{id}/messages/{message_id}/reply-all', access: { scope: 'send', inboxKeys: true }, idempotent: true, maxBodyBytes: EMAIL_MAX_BODY_BYTES, sendsTo: ['send'], uses: ['mail-store-write'] },
  { id: 'inbox-sends.forward', method: 'POST', path: '/v1/inboxes/{id}/messages/{message_id}/forward', access: { scope: 'send', inboxKeys: true }, idempotent: true, maxBodyBytes: EMAIL_MAX_BODY_BYTES, sendsTo: ['send'], uses: ['mail-store-write', 'mail-store-read'] },

  // Webhook secrets and destinations are the team's to decide (admin); an inbox key manages its own inbox's webhooks.
  { id: 'webhooks.create', method: 'POST', path: '/v1/webhooks', access: { scope: 'admin', inboxKeys: true, inboxScope: 'send' }, idempotent: true },
  { id: 'webhooks.list', method: 'GET', path: '/v1/webhooks', access: { scope: 'read', inboxKeys: true } },
  { id: 'webhooks.get', method: 'GET', path: '/v1/webhooks/{id}', access: { scope: 'read', inboxKeys: true } },
  { id: 'webhooks.update', method: 'PATCH', path: '/v1/webhooks/{id}', access: { scope: 'admin', inboxKeys: true, inboxScope: 'send' } },
  { id: 'webhooks.delete', method: 'DELETE', path: '/v1/webhooks/{id}', access: { scope: 'admin', inboxKeys: true, inboxScope: 'send' } },
  { id: 'webhooks.rotate-secret', method: 'POST', path: '/v1/webhooks/{id}/rotate-secret', access: { scope: 'admin', inboxKeys: true, inboxScope: 'send' }, idempotent: true },
  { id: 'webhooks.test', method: 'POST', path: '/v1/webhooks/{id}/test', access: { scope: 'write', inboxKeys: true, inboxScope: 'send' }, maxBodyBytes: 1024 },
  { id: 'webhook-attempts.list', method: 'GET', path: '/v1/webhooks/{id}/attempts', access: { scope: 'read', inboxKeys: true } },
  { id: 'webhook-attempts.retry', method: 'POST', path: '/v1/webhooks/{id}/attempts/{attempt_id}/retry', access: { scope: 'write', inboxKeys: true, inboxScope: 'send' }, maxBodyBytes: 1024, sendsTo: ['webhook-delivery'] },

  { id: 'buckets.create', method: 'POST', path: '/v1/buckets', access: { scope: 'write' }, idempotent: true, uses: ['media-read'] },
  { id: 'buckets.list', method: 'GET', path: '/v1/buckets', access: { scope: 'read' }, uses: ['media-read'] },
  { id: 'buckets.get', method: 'GET', path: '/v1/buckets/{slug}', access: { scope: 'read' }, uses: ['media-read'] },
  { id: 'buckets.update', method: 'PATCH', path: '/v1/buckets/{slug}', access: { scope: 'write' }, uses: ['media-read'], sendsTo: ['storage-sweep'] },
  { id: 'buckets.delete', method: 'DELETE', path: '/v1/buckets/{slug}', access: { scope: 'write' }, uses: ['media-read'], sendsTo: ['storage-sweep'] },
  { id: 'bucket-uploads.create', method: 'POST', path: '/v1/buckets/{slug}/uploads', access: { scope: 'write' }, uses: ['media-write'] },
  { id: 'bucket-objects.create', method: 'POST', path: '/v1/buckets/{slug}/objects', access: { scope: 'write' }, idempotent: true, maxBodyBytes: EMAIL_MAX_BODY_BYTES, uses: ['media-write'] },
  { id: 'bucket-objects.list', method: 'GET', path: '/v1/buckets/{slug}/objects', access: { scope: 'read' }, uses: ['media-read'] },
  { id: 'bucket-objects.get', method: 'GET', path: '/v1/buckets/{slug}/objects/{key+}', access: { scope: 'read' }, uses: ['media-read'] },
  { id: 'bucket-objects.delete', method: 'DELETE', path: '/v1/buckets/{slug}/objects/{key+}', access: { scope: 'write' }, uses: ['media-read', 'media-delete'] },
  { id: 'storage-usage.get', method: 'GET', path: '/v1/storage/usage', access: { scope: 'read' } },

  // With list_id, identify may send a double opt-in confirmation email (domain/lists.ts).
  { id: 'identify.upsert', method: 'POST', path: '/v1/identify', access: { scope: 'write' }, sendsTo: ['webhook-fanout', 'send'], uses: ['mail-store-write', 'campaign-runs'] },
  { id: 'contacts.list', method: 'GET', path: '/v1/contacts', access: { scope: 'read' } },
  { id: 'contacts.get', method: 'GET', path: '/v1/contacts/{id}', access: { scope: 'read' } },
  { id: 'contacts.update', method: 'PATCH', path: '/v1/contacts/{id}', access: { scope: 'write' }, sendsTo: ['webhook-fanout'] },
  { id: 'contacts.delete', method: 'DELETE', path: '/v1/contacts/{id}', access: { scope: 'write' } },

  // Events and triggered campaigns: enrolments run on the campaign state machine (domain/enrolments.ts).
  { id: 'events.track', method: 'POST', path: '/v1/events', access: { scope: 'write' }, idempotent: true, sendsTo: ['webhook-fanout'], uses: ['campaign-runs'] },
  { id: 'contact-events.list', method: 'GET', path: '/v1/contacts/{id}/events', access: { scope: 'read' } },
  { id: 'campaigns.create', method: 'POST', path: '/v1/campaigns', access: { scope: 'write' }, idempotent: true },
  { id: 'campaigns.list', method: 'GET', path: '/v1/campaigns', access: { scope: 'read' } },
  { id: 'campaigns.get', method: 'GET', path: '/v1/campaigns/{id}', access: { scope: 'read' } },
  { id: 'campaigns.update', method: 'PATCH', path: '/v1/campaigns/{id}', access: { scope: 'write' } },
  { id: 'campaigns.launch', method: 'POST', path: '/v1/campaigns/{id}/launch', access: { scope: 'write' }, maxBodyBytes: 1024, sendsTo: ['broadcast'] },
  { id: 'campaigns.pause', method: 'POST', path: '/v1/campaigns/{id}/pause', access: { scope: 'write' }, maxBodyBytes: 1024 },
  { id: 'campaigns.resume', method: 'POST', path: '/v1/campaigns/{id}/resume', access: { scope: 'write' }, maxBodyBytes: 1024, sendsTo: ['broadcast'] },
  { id: 'campaigns.archive', method: 'POST', path: '/v1/campaigns/{id}/archive', access: { scope: 'write' }, maxBodyBytes: 1024 },
  { id: 'campaigns.cancel', method: 'POST', path: '/v1/campaigns/{id}/cancel', access: { scope: 'write' }, maxBodyBytes: 1024 },
  { id: 'campaign-enrollments.list', method: 'GET', path: '/v1/campaigns/{id}/enrollments', access: { scope: 'read' } },
  { id: 'campaign-test-events.create', method: 'POST', path: '/v1/campaigns/{id}/test-event', access: { scope: 'write' }, idempotent: true, sendsTo: ['webhook-fanout'], uses: ['campaign-runs'] },

  // Lists (domain/lists.ts). The confirmation link is public (its signed token is the authorization); a
  // deleted list's memberships are swept by workers/list-sweep.ts.
  { id: 'lists.confirm', method: 'GET', path: '/v1/lists/confirm/{token}', access: 'public', uses: ['table', 'pepper', 'campaign-runs'], sendsTo: ['webhook-fanout'] },
  { id: 'lists.confirm-one-click', method: 'POST', path: '/v1/lists/confirm/{token}', access: 'public', maxBodyBytes: 1024, uses: ['table', 'pepper', 'campaign-runs'], sendsTo: ['webhook-fanout'] },
  { id: 'lists.create', method: 'POST', path: '/v1/lists', access: { scope: 'write' }, idempotent: true },
  { id: 'lists.list', method: 'GET', path: '/v1/lists', access: { scope: 'read' } },
  { id: 'lists.get', method: 'GET', path: '/v1/lists/{id}', access: { scope: 'read' } },
  { id: 'lists.update', method: 'PATCH', path: '/v1/lists/{id}', access: { scope: 'write' } },
  { id: 'lists.delete', method: 'DELETE', path: '/v1/lists/{id}', access: { scope: 'write' }, sendsTo: ['list-sweep'] },
  { id: 'lists.members', method: 'GET', path: '/v1/lists/{id}/contacts', access: { scope: 'read' } },
  { id: 'lists.subscribe', method: 'POST', path: '/v1/lists/{id}/contacts', access: { scope: 'write' }, idempotent: true, sendsTo: ['webhook-fanout', 'send'], uses: ['mail-store-write', 'campaign-runs'] },
  { id: 'lists.unsubscribe', method: 'DELETE', path: '/v1/lists/{id}/contacts/{contact_id}', access: { scope: 'write' }, sendsTo: ['webhook-fanout'] },

  // Imports run in the background (workers/contact-import.ts); the literal /v1/contacts/import(s) paths win over /v1/contacts/{id}.
  { id: 'contact-imports.create', method: 'POST', path: '/v1/contacts/import', access: { scope: 'write' }, idempotent: true, uses: ['media-read'], sendsTo: ['contact-import'] },
  { id: 'contact-imports.list', method: 'GET', path: '/v1/contacts/imports', access: { scope: 'read' } },
  { id: 'contact-imports.get', method: 'GET', path: '/v1/contacts/imports/{id}', access: { scope: 'read' } },
  { id: 'contact-imports.errors', method: 'GET', path: '/v1/contacts/imports/{id}/errors', access: { scope: 'read' } },

  // Segments are evaluated when read (domain/segments.ts): a preview reads contacts, never a stored membership.
  { id: 'segments.create', method: 'POST', path: '/v1/segments', access: { scope: 'write' }, idempotent: true },
  { id: 'segments.list', method: 'GET', path: '/v1/segments', access: { scope: 'read' } },
  { id: 'segments.get', method: 'GET', path: '/v1/segments/{id}', access: { scope: 'read' } },
  { id: 'segments.update', method: 'PATCH', path: '/v1/segments/{id}', access: { scope: 'write' } },
  { id: 'segments.delete', method: 'DELETE', path: '/v1/segments/{id}', access: { scope: 'write' } },
  { id: 'segments.contacts', method: 'GET', path: '/v1/segments/{id}/contacts', access: { scope: 'read' } },

  // A conversion is tracked as an event (it may end goal enrolments); stats are counters (repositories/stats.ts).
  { id: 'conversions.create', method: 'POST', path: '/v1/conversions', access: { scope: 'write' }, idempotent: true, sendsTo: ['webhook-fanout'], uses: ['campaign-runs'] },
  { id: 'stats.get', method: 'GET', path: '/v1/stats', access: { scope: 'read' } },
  { id: 'campaign-stats.get', method: 'GET', path: '/v1/campaigns/{id}/stats', access: { scope: 'read' } },
] as const satisfies readonly RouteDefinition[];

export type RouteId = (typeof ROUTES)[number]['id'];

/**
 * API Gateway's `$default` route: answers every request no route matches (404) or that uses the wrong
 * method (405), in the envelope, instead of API Gateway's bare {"message":"Not Found"}.
 */
export const FALLBACK_ROUTE: RouteDefinition = { id: 'fallback.any', method: 'GET', path: '$default', access: 'public' };
export const FALLBACK_HANDLER = 'functions/http/fallback.ts';

export function routeById(id: RouteId): RouteDefinition {
  const route = (ROUTES as readonly RouteDefinition[]).find((r) => r.id === id);
  if (!route) throw new Error(`Unknown route ${id}`);
  return route;
}

/** `teams.create` → `functions/http/teams/create.ts` (the file layout is the convention). */
export function handlerFile(route: RouteDefinition): string {
  const [resource, verb] = route.id.split('.');
  return `functions/http/${resource}/${verb}.ts`;
}

/** Feature group a route's Lambda is deployed in (one nested stack per group). */
export function routeGroup(route: RouteDefinition): string {
  return route.id.split('.')[0]!;
}

export function isMutating(route: RouteDefinition): boolean {
  return route.method !== 'GET';
}

/** A whole-segment path parameter: `{id}`, or API Gateway's greedy `{key+}`. */
const PATH_PARAM = /^\{([A-Za-z_][A-Za-z0-9_]*)(\+?)\}$/;

/** Compiles `/v1/teams/{id}` (or `/v1/buckets/{slug}/objects/{key+}`) into a matcher returning path parameters (used by the local server). */
export function compilePath(path: string): (candidate: string) => Record<string, string> | undefined {
  const names: string[] = [];
  const source = path
    .split('/')
    .map((segment) => {
      // `{key+}` (API Gateway's greedy parameter, last segment only) takes the rest of the path, slashes included.
      const param = PATH_PARAM.exec(segment);
      if (!param) return segment.replace(/[.*+?^$()|[\]\\{}]/g, '\\$&');
      names.push(param[1]!);
      return param[2] ? '(.+)' : '([^/]+)';
    })
    .join('/');
  const regex = new RegExp(`^${source}$`);
  return (candidate) => {
    const match = regex.exec(candidate);
    if (!match) return undefined;
    try {
      return Object.fromEntries(names.map((name, i) => [name, decodeURIComponent(match[i + 1]!)]));
    } catch {
      return undefined;
    }
  };
}

/**
 * Orders routes the way API Gateway chooses among several that match one request: at the first segment where
 * they differ in kind, a literal beats a `{param}`, which beats a greedy `{param+}`. (A total order: the
 * paths' segment kinds compared in turn, a shorter path first when one is a prefix of the other.)
 */
export function bySpecificity(a: Pick<RouteDefinition, 'path'>, b: Pick<RouteDefinition, 'path'>): number {
  const kinds = (path: string) =>
    path.split('/').map((segment) => {
      const param = PATH_PARAM.exec(segment);
      return !param ? 0 : param[2] ? 2 : 1;
    });
  const left = kinds(a.path);
  const right = kinds(b.path);
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    if (left[i] !== right[i]) return left[i]! - right[i]!;
  }
  return left.length - right.length;
}

const matchers = [...(ROUTES as readonly RouteDefinition[])].sort(bySpecificity).map((route) => ({ route, match: compilePath(route.path) }));

/** The route a request goes to (literal segments first, as on API Gateway), with its path parameters; undefined for `$default`. */
export function matchRoute(method: string, path: string): { route: RouteDefinition; params: Record<string, string> } | undefined {
  for (const { route, match } of matchers) {
    if (route.method !== method) continue;
    const params = match(path);
    if (params) return { route, params };
  }
  return undefined;
}
