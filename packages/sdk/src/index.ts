export { Mailroom, type MailroomOptions } from './client.js';
export { MailroomError, WebhookVerificationError, type FieldError } from './errors.js';
export { Page, type PageItem } from './pagination.js';
export * from './generated/resources.js';
export type { components, operations, paths } from './generated/api-types.js';
export type {
  OperationBody,
  OperationId,
  OperationMeta,
  OperationParams,
  OperationQuery,
  OperationResult,
  PageData,
  PaginatedOperationId,
  RequestArgs,
  RequestInput,
  RequestOptions,
} from './types.js';
export type { VerifyOptions, WebhookEvent, WebhookHeaders } from './webhooks.js';

import { sign, verify } from './webhooks.js';

/** For webhook receivers: `await webhooks.verify(rawBody, headers, 'whsec_…')` returns the event or throws. */
export const webhooks = { verify, sign };
