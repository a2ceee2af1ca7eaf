import * as z from 'zod';
import { idOf, ListQuery, pageOf, ShortDescription, Timestamp, someFieldGiven } from './common.js';
import { defineRoutes } from './contract.js';
import { checkWebhookUrl } from '../domain/webhook-http.js';
import { webhookDestinationPolicy } from '../shared/config.js';

/**
 * The event catalogue: every event a webhook can receive. Each is delivered as `{type, timestamp, data}`;
 * email events carry the email id, its recipient(s) and tags; message events link to the message instead of
 * embedding its body.
 */
export const WEBHOOK_EVENT_TYPES = [
  'email.sent',
  'email.delivered',
  'email.delivery_delayed',
  'email.bounced',
  'email.complained',
  'email.opened',
  'email.clicked',
  'email.failed',
  'message.received',
  'domain.verified',
  'contact.created',
  'contact.updated',
  'contact.unsubscribed',
  'webhook.disabled',
  'webhook.test',
] as const;
export const WebhookEventType = z.enum(WEBHOOK_EVENT_TYPES);
export type WebhookEventType = z.infer<typeof WebhookEventType>;

/** What every delivery's body is (its `webhook-id` header is the event id). */
export const WebhookPayload = z.object({
  type: WebhookEventType,
  timestamp: Timestamp,
  data: z.record(z.string(), z.unknown()),
});
export type WebhookPayload = z.infer<typeof WebhookPayload>;

export const MAX_WEBHOOKS_PER_TEAM = 50;
const MAX_INBOX_FILTERS = 20;

const WebhookUrl = z
  .string()
  .trim()
  .superRefine((url, ctx) => {
    const problem = checkWebhookUrl(url, webhookDestinationPolicy());
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .describe('Where events are POSTed. HTTPS (plain HTTP only where the deployment allows it); never a private or reserved address.');

const EventTypes = z
  .array(WebhookEventType)
  .min(1)
  .transform((types) => [...new Set(types)])
  .nullable()
  .describe('Event types to receive; null (the default) means every type, including ones added later.');

const InboxFilter = z
  .array(idOf('inbox'))
  .min(1)
  .max(MAX_INBOX_FILTERS)
  .transform((ids) => [...new Set(ids)])
  .nullable()
  .describe('Only events about these inboxes (received and sent messages); null means events of the whole team.');


export const CreateWebhookBody = z.strictObject({
  url: WebhookUrl,
  event_types: EventTypes.default(null),
  inbox_ids: InboxFilter.default(null),
  description: ShortDescription.default(null),
  enabled: z.boolean().default(true),
}).meta({ id: 'CreateWebhookBody' });
export type CreateWebhookBody = z.output<typeof CreateWebhookBody>;

export const UpdateWebhookBody = z
  .strictObject({
    url: WebhookUrl.optional(),
    event_types: EventTypes.optional(),
    inbox_ids: InboxFilter.optional(),
    description: ShortDescription.optional(),
    enabled: z.boolean().optional().describe('true re-enables an endpoint that was disabled (by you or after failing) and resets its failure clock.'),
  })
  .refine(...someFieldGiven)
  .meta({ id: 'UpdateWebhookBody' });
export type UpdateWebhookBody = z.output<typeof UpdateWebhookBody>;

export const WebhookDisabledReason = z.enum(['manual', 'endpoint_gone', 'failing']);

export const Webhook = z
  .object({
    id: idOf('webhook'),
    url: z.string(),
    event_types: z.array(WebhookEventType).nullable().describe('The event types it receives; null means every type, including ones added later.'),
    inbox_ids: z.array(idOf('inbox')).nullable().describe('Only events about these inboxes; null means events of the whole team.'),
    description: z.string().nullable(),
    enabled: z.boolean(),
    disabled_reason: WebhookDisabledReason.nullable().describe('Why it is disabled: you did it, the endpoint answered 410 Gone, or it kept failing for days.'),
    failing_since: Timestamp.nullable().describe('First failed attempt since the last success; after 5 days of failures the endpoint is disabled.'),
    secret_rotated_at: Timestamp.nullable(),
    created_at: Timestamp,
    updated_at: Timestamp,
    version: z.number().int().describe('Also the ETag: send it back as If-Match on PATCH.'),
  })
  .meta({ id: 'Webhook' });
export type Webhook = z.infer<typeof Webhook>;

export const WebhookWithSecret = Webhook.extend({
  secret: z.string().describe('The signing secret (whsec_…). Shown only here; verify deliveries with any Standard Webhooks library.'),
}).meta({ id: 'WebhookWithSecret' });

export const WebhookSecretRotated = WebhookWithSecret.extend({
  previous_secret_expires_at: Timestamp.describe('Until then deliveries are signed with the old secret too, so receivers can switch over.'),
}).meta({ id: 'WebhookSecretRotated' });
export type WebhookSecretRotated = z.infer<typeof WebhookSecretRotated>;

export const WebhookDeleted = z.object({ id: idOf('webhook'), deleted: z.literal(true) });
export type WebhookDeleted = z.infer<typeof WebhookDeleted>;

export const WebhookParams = z.strictObject({ id: idOf('webhook') });
export const WebhookAttemptParams = z.strictObject({ id: idOf('webhook'), attempt_id: idOf('webhookAttempt') });
export const ListWebhooksQuery = ListQuery;

export const ATTEMPTS_KEPT = 100;
export const ListAttemptsQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(ATTEMPTS_KEPT).default(ATTEMPTS_KEPT),
  event_id: idOf('event').optional(),
  outcome: z.enum(['delivered', 'failed']).optional(),
});

export const WebhookAttempt = z
  .object({
    id: idOf('webhookAttempt'),
    webhook_id: idOf('webhook'),
    event_id: idOf('event').describe('The event delivered; also the `webhook-id` header the endpoint received.'),
    event_type: WebhookEventType,
    attempt: z.number().int().describe('1 for the first try of this event, counting manual retries.'),
    outcome: z.enum(['delivered', 'failed']),
    status_code: z.number().int().nullable().describe('The endpoint\'s HTTP status; null when no response arrived.'),
    duration_ms: z.number().int(),
    error: z.string().nullable(),
    response_excerpt: z.string().nullable().describe('The first 1 KB of the response body.'),
    next_retry_at: Timestamp.nullable().describe('When the next automatic try is due; null when none will follow.'),
    created_at: Timestamp,
  })
  .meta({ id: 'WebhookAttempt' });
export type WebhookAttempt = z.infer<typeof WebhookAttempt>;

/** The attempts log is one page: the newest ATTEMPTS_KEPT attempts are all there is. */
export const WebhookAttemptList = z.object({
  data: z.array(WebhookAttempt).describe('Newest first.'),
  next_cursor: z.null().describe(`Always null: the last ${ATTEMPTS_KEPT} attempts come in one page.`),
});
export type WebhookAttemptList = z.infer<typeof WebhookAttemptList>;

export const WebhookRetryQueued = z
  .object({
    webhook_id: idOf('webhook'),
    event_id: idOf('event'),
    status: z.literal('queued').describe('The event is queued for delivery; its attempts appear in the log.'),
  })
  .meta({ id: 'WebhookRetryQueued' });
export type WebhookRetryQueued = z.infer<typeof WebhookRetryQueued>;

export const TestWebhookBody = z.strictObject({}).default({});

export const WEBHOOK_ROUTES = defineRoutes({
  'webhooks.create': {
    summary: 'Create a webhook',
    description: [
      'Subscribes an endpoint to events, signed with [Standard Webhooks](https://www.standardwebhooks.com) headers.',
      'The signing secret is in this answer only (and in a rotation\'s). An inbox key creates webhooks for its own inbox only.',
      `A team has at most ${MAX_WEBHOOKS_PER_TEAM} webhooks.`,
    ].join(' '),
    body: CreateWebhookBody,
    responses: { 201: WebhookWithSecret },
    errors: ['validation_error'],
  },
  'webhooks.list': {
    summary: 'List webhooks',
    description: "The team's webhooks, newest first; an inbox key sees only those of its own inbox, in one page.",
    query: ListWebhooksQuery,
    responses: { 200: pageOf(Webhook) },
  },
  'webhooks.get': {
    summary: 'Get a webhook',
    description: 'Without its secret. An inbox key sees only the webhooks of its own inbox.',
    params: WebhookParams,
    responses: { 200: Webhook },
  },
  'webhooks.update': {
    summary: 'Update a webhook',
    description: 'Changes the URL, event types, inbox filter, description or enabled state. `enabled: true` turns a disabled endpoint back on and resets its failure clock.',
    params: WebhookParams,
    body: UpdateWebhookBody,
    responses: { 200: Webhook },
    headers: ['If-Match'],
    errors: ['validation_error'],
  },
  'webhooks.delete': {
    summary: 'Delete a webhook',
    description: 'Deliveries already queued for it are dropped.',
    params: WebhookParams,
    responses: { 200: WebhookDeleted },
  },
  'webhooks.rotate-secret': {
    summary: "Rotate a webhook's signing secret",
    description: 'Answers with the new secret, shown once. For 24 hours deliveries carry signatures of both the old and the new secret, so the receiver can switch without losing events.',
    params: WebhookParams,
    responses: { 200: WebhookSecretRotated },
    errors: ['conflict'],
  },
  'webhooks.test': {
    summary: 'Send a test event',
    description: [
      'Sends one signed `webhook.test` event now (also to a disabled endpoint) and answers with the logged attempt.',
      'It is not retried, and it counts for the endpoint\'s health like any delivery: a failure starts its failure clock, a 410 disables it, a success stops the clock (but does not re-enable it).',
    ].join(' '),
    params: WebhookParams,
    responses: { 200: WebhookAttempt },
  },
  'webhook-attempts.list': {
    summary: 'List delivery attempts',
    description: `The webhook's last ${ATTEMPTS_KEPT} delivery attempts (kept 30 days), newest first, optionally only those of one event or one outcome.`,
    params: WebhookParams,
    query: ListAttemptsQuery,
    responses: { 200: WebhookAttemptList },
  },
  'webhook-attempts.retry': {
    summary: 'Retry a delivery',
    description: [
      "Sends the attempt's event again as a new delivery with the full retry schedule, also after it was delivered or ran out of attempts.",
      'It keeps its event id (`webhook-id`), so the receiver can recognise a repeat. Deliveries older than 30 days are gone (404).',
    ].join(' '),
    params: WebhookAttemptParams,
    responses: { 202: WebhookRetryQueued },
  },
});
