/** The one error envelope. Every failure a client sees is an ApiError rendered by toErrorBody(). */
export const ERROR_STATUS = {
  invalid_parameter: 400,
  authentication_required: 401,
  insufficient_permissions: 403,
  sending_paused: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  idempotency_conflict: 409,
  payload_too_large: 413,
  storage_quota_exceeded: 413,
  unsupported_media_type: 415,
  validation_error: 422,
  all_recipients_suppressed: 422,
  rate_limit_exceeded: 429,
  quota_exceeded: 429,
  internal_error: 500,
  service_unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export interface FieldError {
  field: string;
  code: string;
  message: string;
}

export interface ApiErrorOptions {
  param?: string;
  retryable?: boolean;
  errors?: FieldError[];
  headers?: Record<string, string>;
  details?: Record<string, unknown>;
}

export class ApiError extends Error {
  readonly status: number;
  readonly retryable: boolean;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly options: ApiErrorOptions = {},
  ) {
    super(message);
    this.name = 'ApiError';
    this.status = ERROR_STATUS[code];
    this.retryable = options.retryable ?? (this.status === 429 || this.status >= 500);
  }
}

export function toErrorBody(error: ApiError, requestId: string) {
  return {
    error: {
      code: error.code,
      message: error.message,
      ...(error.options.param !== undefined && { param: error.options.param }),
      retryable: error.retryable,
      ...(error.options.errors && { errors: error.options.errors }),
      ...error.options.details,
    },
    request_id: requestId,
  };
}

export const notFound = (what: string) => new ApiError('not_found', `${what} not found.`);
