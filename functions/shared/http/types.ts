import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import type { Scope } from '../auth/scopes.js';
import type { RouteDefinition } from '../../../lib/routes.js';

export type Principal =
  | { kind: 'root'; keyId: 'root'; teamId: null; scopes: readonly Scope[]; rateLimit: null }
  | { kind: 'team'; keyId: string; teamId: string; scopes: readonly Scope[]; rateLimit: number | null }
  | { kind: 'inbox'; keyId: string; teamId: string; inboxId: string; scopes: readonly Scope[]; rateLimit: number | null };

/** A handler's answer. `etag` becomes the ETag header (quoted); `body` is JSON-encoded, `html` is sent as a page instead. */
export interface HttpResult {
  status: number;
  body?: unknown;
  /** A page for a person's browser (links in mail); takes the place of `body`. */
  html?: string;
  /** Plain text (llms.txt); takes the place of `body`. */
  text?: string;
  headers?: Record<string, string>;
  etag?: string | number;
}

/** Per-request state the middlewares share (kept on the Lambda context object). */
export interface RequestState {
  route: RouteDefinition;
  requestId: string;
  startedAt: number;
  principal?: Principal;
  rateLimitHeaders?: Record<string, string>;
  /** Rate limits and access rule, still being settled for routes that read meanwhile (lib/routes.ts readsWhileCounting). */
  admission?: Promise<void>;
  /** Resource the request acted on, for the audit log. */
  resourceId?: string;
  /** The success entry written alongside the handler's last write (middleware/audit.ts auditAhead), and its outcome. */
  auditAhead?: Promise<{ status: number; resourceId: string | null } | undefined>;
  /** The request's audit entry id and time: every write of its entry is the same item. */
  auditKey?: { id: string; time: number };
}

export type MailroomContext = Context & { mailroom: RequestState };
export type HttpEvent = APIGatewayProxyEventV2;
