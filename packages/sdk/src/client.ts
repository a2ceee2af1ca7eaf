/**
 * The client: one request pipeline (auth, JSON, retries, idempotency keys, errors) under the generated
 * resources (generated/resources.ts), which only say which operation each method calls.
 */
import { MailroomError } from './errors.js';
import { MailroomApi, OPERATIONS, SDK_VERSION } from './generated/resources.js';
import { Page } from './pagination.js';
import { backoffMs, isRetryableStatus, MAX_RETRY_AFTER_MS, retryAfterMs, shouldRetry, sleep } from './retry.js';
import type { OperationId, OperationMeta, OperationResult, PaginatedOperationId, RequestArgs, RequestOptions } from './types.js';

export interface MailroomOptions {
  /** A team key, an inbox key or the root key (`mr_…`). */
  apiKey: string;
  /** Your deployment's API URL, e.g. `https://api.mail.example.com` or `http://127.0.0.1:8787`. */
  baseUrl: string;
  /** Retries after the first attempt, when repeating the request is safe (see `Mailroom`; default 2: three attempts in all). */
  maxRetries?: number;
  /** Per-attempt timeout in milliseconds (default 60 000). */
  timeoutMs?: number;
  /** A fetch implementation (default: the global one). */
  fetch?: typeof fetch;
}

interface LooseInput {
  params?: Record<string, string>;
  query?: Record<string, unknown>;
  body?: unknown;
}

function operationOf(id: string): OperationMeta {
  const operation = (OPERATIONS as Record<string, OperationMeta>)[id];
  if (!operation) throw new TypeError(`Unknown operation "${id}".`);
  return operation;
}

/**
 * The Mailroom API client.
 *
 * Retries (up to `maxRetries`, waiting what `Retry-After` asks for, else backing off with jitter) happen only when
 * sending the request again cannot act twice:
 * - GET, PUT, PATCH and DELETE, and the POSTs that create or send (they carry an `Idempotency-Key`, one per call
 *   and reused by its retries, which the server answers with the first result): after any retryable failure —
 *   network errors, timeouts, 429, 5xx, or a 409 `idempotency_conflict` while the first request is still running;
 * - every other POST (launch, cancel, render, …): only after a 429 or a connection that never opened (refused,
 *   unresolvable host), never after a timeout, a connection lost mid-request or a 5xx, since the server may have acted.
 * Whether an error answer is retryable is the API's `error.retryable`, else its status (429 and 5xx).
 */
export class Mailroom extends MailroomApi {
  readonly #apiKey: string;
  readonly #baseUrl: string;
  readonly #maxRetries: number;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;

  constructor(options: MailroomOptions) {
    super();
    if (!options?.apiKey) throw new TypeError('new Mailroom({ apiKey }): apiKey is required.');
    if (!options.baseUrl) throw new TypeError('new Mailroom({ baseUrl }): baseUrl is required (your deployment\'s API URL).');
    this.#apiKey = options.apiKey;
    this.#baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#maxRetries = options.maxRetries ?? 2;
    this.#timeoutMs = options.timeoutMs ?? 60_000;
    // Bound to globalThis: some runtimes refuse fetch called as a method of another object.
    this.#fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  }

  /** Calls any operation by id (the route id, e.g. `emails.send`): the generated resources are shorthands for this. */
  request<Id extends OperationId>(id: Id, ...[input, options]: RequestArgs<Id>): Promise<OperationResult<Id>> {
    return this.#send(operationOf(id), (input ?? {}) as LooseInput, options ?? {}) as Promise<OperationResult<Id>>;
  }

  /** A cursor list by operation id: `await` it for the first page, `for await` it for every item. */
  paginate<Id extends PaginatedOperationId>(id: Id, ...[input, options]: RequestArgs<Id>): Page<OperationResult<Id>> {
    const operation = operationOf(id);
    const loose = (input ?? {}) as LooseInput;
    return new Page((cursor) => {
      const query = cursor === undefined ? loose.query : { ...loose.query, cursor };
      return this.#send(operation, { ...loose, query }, options ?? {}) as Promise<OperationResult<Id>>;
    });
  }

  async #send(operation: OperationMeta, input: LooseInput, options: RequestOptions): Promise<unknown> {
    const url = this.#baseUrl + buildPath(operation, input.params ?? {}) + buildQuery(input.query);
    // Names lower-cased: fetch joins `Idempotency-Key` and `idempotency-key` into one "a, b" value.
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': `mailroom-sdk/${SDK_VERSION}` };
    for (const [name, value] of Object.entries(options.headers ?? {})) headers[name.toLowerCase()] = value;
    headers.authorization = `Bearer ${this.#apiKey}`;
    // One key per call, reused by every retry of it: a retried send is replayed, never sent twice.
    const idempotencyKey = options.idempotencyKey ?? headers['idempotency-key'] ?? (operation.idempotent ? crypto.randomUUID() : undefined);
    if (idempotencyKey !== undefined) headers['idempotency-key'] = idempotencyKey;
    // The server deduplicates only the routes it marks idempotent: another POST sent twice may act twice.
    const replaySafe = operation.method !== 'POST' || operation.idempotent;
    let body: string | undefined;
    if (input.body !== undefined) {
      body = JSON.stringify(input.body);
      headers['content-type'] = 'application/json';
    }

    const maxRetries = options.maxRetries ?? this.#maxRetries;
    for (let attempt = 0; ; attempt++) {
      const outcome = await this.#attempt(url, { method: operation.method, headers, body }, options);
      if (!(outcome instanceof MailroomError)) return outcome.value;
      const error = outcome;
      if (attempt >= maxRetries || !shouldRetry(error, replaySafe)) throw error;
      const serverDelay = retryAfterMs(error.headers.get('retry-after'));
      if (serverDelay !== undefined && serverDelay > MAX_RETRY_AFTER_MS) throw error;
      await sleep(serverDelay ?? backoffMs(attempt + 1), options.signal);
    }
  }

  /** One HTTP attempt: the parsed success body, or the MailroomError it ended in (thrown only for a caller's abort). */
  async #attempt(url: string, init: RequestInit, options: RequestOptions): Promise<{ value: unknown } | MailroomError> {
    const timeoutMs = options.timeoutMs ?? this.#timeoutMs;
    const controller = new AbortController();
    const onAbort = () => controller.abort(options.signal!.reason);
    if (options.signal?.aborted) throw options.signal.reason;
    options.signal?.addEventListener('abort', onAbort, { once: true });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    try {
      const response = await this.#fetch(url, { ...init, signal: controller.signal });
      const text = await response.text();
      if (response.ok) return { value: parseBody(response, text) };
      return errorFromResponse(response, text);
    } catch (cause) {
      if (options.signal?.aborted) throw options.signal.reason;
      return new MailroomError({
        status: 0,
        code: timedOut ? 'timeout' : 'network_error',
        message: timedOut ? `No response within ${timeoutMs} ms.` : `The request failed before a response arrived: ${(cause as Error)?.message ?? String(cause)}`,
        retryable: true,
        cause,
      });
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    }
  }
}

/**
 * `/v1/inboxes/{id}/messages` with `{ id }` → `/v1/inboxes/ib_…/messages`; a `{key+}` value keeps its slashes.
 * A `.` or `..` segment is refused: encodeURIComponent leaves dots alone and the URL parser would resolve it, so
 * `objects.delete('b', '../../../api-keys/key_1')` would otherwise reach `DELETE /v1/api-keys/key_1`. Everything
 * else is percent-encoded (`%` too), so an encoded dot (`%2e`) arrives as the literal text it is.
 */
export function buildPath(operation: Pick<OperationMeta, 'path'>, params: Record<string, string>): string {
  return operation.path.replace(/\{([A-Za-z_][A-Za-z0-9_]*)(\+?)\}/g, (_, name: string, greedy: string) => {
    const value = params[name];
    if (typeof value !== 'string' || value === '') throw new TypeError(`Missing path parameter "${name}" for ${operation.path}.`);
    const segments = greedy ? value.split('/') : [value];
    if (segments.some((segment) => segment === '.' || segment === '..')) {
      throw new TypeError(`Path parameter "${name}" for ${operation.path} may not be or contain a "." or ".." segment: ${JSON.stringify(value)}.`);
    }
    return segments.map(encodeURIComponent).join('/');
  });
}

/** `?limit=50&tag=a&tag=b`: undefined and null values are left out, arrays repeat the name. */
export function buildQuery(query: Record<string, unknown> | undefined): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(query ?? {})) {
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item !== undefined && item !== null) search.append(name, String(item));
    }
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

function parseBody(response: Response, text: string): unknown {
  if (response.status === 204 || text === '') return undefined;
  if (!/json/i.test(response.headers.get('content-type') ?? '')) return text;
  return JSON.parse(text);
}

function errorFromResponse(response: Response, text: string): MailroomError {
  let envelope: { error?: Record<string, unknown>; request_id?: string } | undefined;
  try {
    envelope = JSON.parse(text);
  } catch {
    envelope = undefined;
  }
  const error = envelope?.error;
  const requestId = envelope?.request_id ?? response.headers.get('x-request-id') ?? undefined;
  const retryable = typeof error?.retryable === 'boolean' ? error.retryable : isRetryableStatus(response.status);
  if (!error || typeof error.code !== 'string') {
    return new MailroomError({ status: response.status, code: 'http_error', message: `HTTP ${response.status} ${response.statusText}`.trim(), requestId, retryable, headers: response.headers });
  }
  return new MailroomError({
    status: response.status,
    code: error.code,
    message: typeof error.message === 'string' ? error.message : error.code,
    param: typeof error.param === 'string' ? error.param : undefined,
    requestId,
    retryable,
    errors: Array.isArray(error.errors) ? (error.errors as MailroomError['errors']) : undefined,
    headers: response.headers,
  });
}
