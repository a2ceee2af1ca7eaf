/**
 * The client: one request pipeline (auth, JSON, retries, idempotency keys, errors) under the generated
 * resources (generated/resources.ts), which only say which operation each method calls.
 */
import { MailroomError } from './errors.js';
import { MailroomApi, OPERATIONS, SDK_VERSION } from './generated/resources.js';
import { Page } from './pagination.js';
import { backoffMs, isRetryableStatus, MAX_RETRY_AFTER_MS, retryAfterMs, sleep } from './retry.js';
import type { OperationId, OperationMeta, OperationResult, PaginatedOperationId, RequestArgs, RequestOptions } from './types.js';

export interface MailroomOptions {
  /** A team key, an inbox key or the root key (`mr_…`). */
  apiKey: string;
  /** Your deployment's API URL, e.g. `https://api.mail.example.com` or `http://127.0.0.1:8787`. */
  baseUrl: string;
  /** Retries after the first attempt, on network errors, timeouts, 429 and 5xx (default 2: three attempts in all). */
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
    const headers: Record<string, string> = {
      accept: 'application/json',
      'user-agent': `mailroom-sdk/${SDK_VERSION}`,
      ...options.headers,
      authorization: `Bearer ${this.#apiKey}`,
    };
    // One key per call, reused by every retry of it: a retried send is replayed, never sent twice.
    const idempotencyKey = options.idempotencyKey ?? (operation.idempotent ? crypto.randomUUID() : undefined);
    if (idempotencyKey !== undefined) headers['idempotency-key'] = idempotencyKey;
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
      if (!error.retryable || attempt >= maxRetries) throw error;
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

/** `/v1/inboxes/{id}/messages` with `{ id }` → `/v1/inboxes/ib_…/messages`; a `{key+}` value keeps its slashes. */
export function buildPath(operation: Pick<OperationMeta, 'path'>, params: Record<string, string>): string {
  return operation.path.replace(/\{([A-Za-z_][A-Za-z0-9_]*)(\+?)\}/g, (_, name: string, greedy: string) => {
    const value = params[name];
    if (typeof value !== 'string' || value === '') throw new TypeError(`Missing path parameter "${name}" for ${operation.path}.`);
    return greedy ? value.split('/').map(encodeURIComponent).join('/') : encodeURIComponent(value);
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
  const retryable = isRetryableStatus(response.status);
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
