/** One invalid field of a request that failed validation. */
export interface FieldError {
  field: string;
  code: string;
  message: string;
}

export interface MailroomErrorInit {
  status: number;
  code: string;
  message: string;
  param?: string;
  requestId?: string;
  retryable: boolean;
  errors?: FieldError[];
  headers?: Headers;
  cause?: unknown;
}

/**
 * Every failure the client reports: an API error envelope, or a request that got no answer
 * (`network_error`, `timeout`: status 0). `retryable` says whether the same request may succeed later.
 */
export class MailroomError extends Error {
  override readonly name = 'MailroomError';
  /** The HTTP status; 0 when no response arrived. */
  readonly status: number;
  /** Stable machine-readable code, e.g. `not_found`, `validation_error`, `network_error`. */
  readonly code: string;
  /** The field, header or query parameter at fault, when the API names one. */
  readonly param: string | undefined;
  /** The API's `request_id` (also the `X-Request-Id` header): quote it when reporting a problem. */
  readonly requestId: string | undefined;
  /**
   * Whether the same request may succeed later (the API's `error.retryable`, else 429 and 5xx; true for no answer).
   * The client has already retried when that was safe: a POST that is not idempotent may have acted.
   */
  readonly retryable: boolean;
  /** Every invalid field when the input failed validation; empty otherwise. */
  readonly errors: FieldError[];
  readonly headers: Headers;

  constructor(init: MailroomErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.status = init.status;
    this.code = init.code;
    this.param = init.param;
    this.requestId = init.requestId;
    this.retryable = init.retryable;
    this.errors = init.errors ?? [];
    this.headers = init.headers ?? new Headers();
  }
}

/** A webhook request that is not provably from Mailroom (bad or missing signature, stale timestamp). */
export class WebhookVerificationError extends Error {
  override readonly name = 'WebhookVerificationError';
}
