import * as z from 'zod';
import { idOf, ListQuery, ShortDescription, Timestamp, someFieldGiven } from './common.js';
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
});
export type CreateWebhookBody = z.output<typeof CreateWebhookBody>;

export const UpdateWebhookBody = z
  .strictObject({
    url: WebhookUrl.optional(),
    event_types: EventTypes.optional(),
    inbox_ids: InboxFilter.optional(),
    description: ShortDescription.optional(),
    enabled: z.boolean().optional().describe('true re-enables an endpoint that was disabled (by you or after failing) and resets its failure clock.'),
  })
  .refine(...someFieldGiven);
export type UpdateWebhookBody = z.output<typeof UpdateWebhookBody>;

export const WebhookDisabledReason = z.enum(['manual', 'endpoint_gone', 'failing']);

export const Webhook = z.object({
  id: idOf('webhook'),
  url: z.string(),
  event_types: z.array(WebhookEventType).nullable(),
  inbox_ids: z.array(z.string()).nullable(),
  description: z.string().nullable(),
  enabled: z.boolean(),
  disabled_reason: WebhookDisabledReason.nullable().describe('Why it is disabled: you did it, the endpoint answered 410 Gone, or it kept failing for days.'),
  failing_since: Timestamp.nullable().describe('First failed attempt since the last success; after 5 days of failures the endpoint is disabled.'),
  secret_rotated_at: Timestamp.nullable(),
  created_at: Timestamp,
  updated_at: Timestamp,
  version: z.number().int(),
});
export type Webhook = z.infer<typeof Webhook>;

export const WebhookWithSecret = Webhook.extend({
  secret: z.string().describe('The signing secret (whsec_…). Shown only here; verify deliveries with any Standard Webhooks library.'),
});

export const WebhookParams = z.strictObject({ id: idOf('webhook') });
export const WebhookAttemptParams = z.strictObject({ id: idOf('webhook'), attempt_id: idOf('webhookAttempt') });
export const ListWebhooksQuery = ListQuery;

export const ATTEMPTS_KEPT = 100;
export const ListAttemptsQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(ATTEMPTS_KEPT).default(ATTEMPTS_KEPT),
  event_id: idOf('event').optional(),
  outcome: z.enum(['delivered', 'failed']).optional(),
});

export const WebhookAttempt = z.object({
  id: idOf('webhookAttempt'),
  webhook_id: idOf('webhook'),
  event_id: idOf('event'),
  event_type: WebhookEventType,
  attempt: z.number().int().describe('1 for the first try of this event, counting manual retries.'),
  outcome: z.enum(['delivered', 'failed']),
  status_code: z.number().int().nullable().describe('The endpoint\'s HTTP status; null when no response arrived.'),
  duration_ms: z.number().int(),
  error: z.string().nullable(),
  response_excerpt: z.string().nullable().describe('The first 1 KB of the response body.'),
  next_retry_at: Timestamp.nullable(),
  created_at: Timestamp,
});
export type WebhookAttempt = z.infer<typeof WebhookAttempt>;

export const TestWebhookBody = z.strictObject({}).default({});
