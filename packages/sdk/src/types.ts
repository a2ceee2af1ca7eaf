/**
 * Request and response types of every operation, derived from the generated OpenAPI types
 * (generated/api-types.ts): nothing here names a route.
 */
import type { operations } from './generated/api-types.js';
import type { Page } from './pagination.js';

/** An operation id: the route id, e.g. `emails.send`, `inbox-messages.list`. */
export type OperationId = keyof operations;

type Operation<Id extends OperationId> = operations[Id];
type SuccessStatus = 200 | 201 | 202 | 203 | 204;

/** The body of one response: JSON when it is JSON, a string for other content types, undefined for none. */
type BodyOf<Response> = Response extends { content: { 'application/json': infer Json } }
  ? Json
  : Response extends { content: Record<string, unknown> }
    ? string
    : undefined;

/** What a successful call resolves to. */
export type OperationResult<Id extends OperationId> = BodyOf<Operation<Id>['responses'][Extract<keyof Operation<Id>['responses'], SuccessStatus>]>;

/** The JSON request body of an operation (never when it takes none). */
export type OperationBody<Id extends OperationId> = BodyOf<NonNullable<Operation<Id>['requestBody']>>;

/** The query parameters of an operation (never when it takes none). */
export type OperationQuery<Id extends OperationId> = NonNullable<Operation<Id>['parameters']['query']>;

/** The path parameters of an operation (never when it takes none). */
export type OperationParams<Id extends OperationId> = NonNullable<Operation<Id>['parameters']['path']>;

type IsOptional<T, Key extends keyof T> = undefined extends T[Key] ? true : false;
type Slot<Name extends string, Value, Optional extends boolean> = [Value] extends [never]
  ? { [K in Name]?: undefined }
  : Optional extends true
    ? { [K in Name]?: Value }
    : { [K in Name]: Value };

/** The input of `mailroom.request(id, input)`: path parameters, query and body, each only where the operation has it. */
export type RequestInput<Id extends OperationId> = Slot<'params', OperationParams<Id>, false> &
  Slot<'query', OperationQuery<Id>, IsOptional<Operation<Id>['parameters'], 'query'>> &
  Slot<'body', OperationBody<Id>, IsOptional<Operation<Id>, 'requestBody'>>;

/** `request`'s arguments after the id: the input may be left out when nothing in it is required. */
export type RequestArgs<Id extends OperationId> = {} extends RequestInput<Id>
  ? [input?: RequestInput<Id>, options?: RequestOptions]
  : [input: RequestInput<Id>, options?: RequestOptions];

/** The shape of every cursor-paginated list response. */
export interface PageData<Item = unknown> {
  data: Item[];
  next_cursor: string | null;
}

/** The operations that answer a page of a cursor list. */
export type PaginatedOperationId = {
  [Id in OperationId]: OperationResult<Id> extends PageData ? ('cursor' extends keyof OperationQuery<Id> ? Id : never) : never;
}[OperationId];

export interface RequestOptions {
  /**
   * Sent as `Idempotency-Key`. Operations that create or send get a fresh key per call automatically, reused by
   * that call's retries; pass your own to make a retry of your own (e.g. after a crash) safe too. It wins over an
   * `Idempotency-Key` in `headers` (in any case), which wins over the generated one: one key is sent, never two.
   */
  idempotencyKey?: string;
  /** Aborts the call, including any wait between retries. */
  signal?: AbortSignal;
  /** Extra request headers, e.g. `{ 'If-Match': '"3"' }`. */
  headers?: Record<string, string>;
  /** Overrides the client's `maxRetries` for this call. */
  maxRetries?: number;
  /** Overrides the client's `timeoutMs` (per attempt) for this call. */
  timeoutMs?: number;
}

/** How the generated resources reach the API (the client implements it). */
export interface Caller {
  request<Id extends OperationId>(id: Id, ...args: RequestArgs<Id>): Promise<OperationResult<Id>>;
  paginate<Id extends PaginatedOperationId>(id: Id, ...args: RequestArgs<Id>): Page<OperationResult<Id>>;
}

/** What the generator records about each operation, for the client to build requests. */
export interface OperationMeta {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** The OpenAPI path, e.g. `/v1/emails/{id}`; `{name+}` takes a value with slashes (a storage key). */
  path: string;
  pathParams: readonly string[];
  /** Sends an `Idempotency-Key` on every call (generated when the caller gives none). */
  idempotent: boolean;
  paginated: boolean;
}
