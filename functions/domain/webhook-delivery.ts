/**
 * Delivering events to webhooks: fan-out (which of the team's webhooks want an event) and attempts (sign,
 * POST, log, decide when to try again). Signatures follow Standard Webhooks and are made anew for every
 * attempt, so a retry hours later still carries a fresh timestamp.
 */
import { randomUUID } from 'node:crypto';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { sendToQueue } from '../shared/queue/producer.js';
import { config, webhookDestinationPolicy } from '../shared/config.js';
import { logger } from '../shared/logger.js';
import { countMetric } from '../shared/metrics.js';
import { RetryLater } from '../shared/queue/retry-later.js';
import type { WebhookAttempt } from '../schemas/webhooks.js';
import { disableWebhook, markWebhookFailing, markWebhookHealthy, type DeliverableWebhook } from '../repositories/webhooks.js';
import { claimDelivery, createDelivery, recordAttempt, type Delivery, type DeliveryStatus } from '../repositories/webhook-deliveries.js';
import { recordTeamEvent } from '../repositories/team-events.js';
import { nowIso } from '../repositories/table.js';
import { DeliveryFailure, postWebhook } from './webhook-http.js';
import { platformEvent, publishEvents, teamWebhooks, wantsEvent, webhookPayload, type PlatformEvent } from './webhook-events.js';
import { queueByName } from '../../lib/queues.js';

const deliveryQueue = queueByName('webhook-delivery');
const RESPONSE_READ_BYTES = 64 * 1024;
const EXCERPT_BYTES = 1024;
/** SQS's visibility cap is 12 h: no wait (Retry-After included) may be longer. */
const MAX_WAIT_SECONDS = 43_000;

/** The queue message of one delivery run. */
export interface DeliveryJob {
  webhook_id: string;
  event_id: string;
  run: string;
}

/** Creates one delivery per interested webhook and queues them. Safe to repeat for the same event. */
export async function fanOut(event: PlatformEvent): Promise<void> {
  const webhooks = (await teamWebhooks(event.team_id)).filter((webhook) => wantsEvent(webhook, event));
  if (webhooks.length === 0) return;
  const payload = JSON.stringify(webhookPayload(event));
  const runs = await Promise.all(
    webhooks.map((webhook) => createDelivery({ webhook_id: webhook.id, team_id: event.team_id, event_id: event.id, event_type: event.type, payload })),
  );
  await queueDeliveries(webhooks.flatMap((webhook, i) => (runs[i] ? [{ webhook_id: webhook.id, event_id: event.id, run: runs[i] }] : [])));
}

export function queueDeliveries(jobs: DeliveryJob[]): Promise<void> {
  return sendToQueue('webhook-delivery', jobs);
}

/** The `webhook-signature` header: one `v1,` signature per secret that currently signs (two during a rotation). */
export function signatureHeader(secrets: string[], eventId: string, at: Date, body: string): string {
  return secrets.map((secret) => new StandardWebhook(secret).sign(eventId, at, body)).join(' ');
}

interface AttemptResult {
  delivered: boolean;
  statusCode: number | null;
  durationMs: number;
  error: string | null;
  excerpt: string | null;
  retryAfterSeconds?: number;
}

async function post(webhook: DeliverableWebhook, delivery: Delivery): Promise<AttemptResult> {
  const at = new Date();
  const started = Date.now();
  try {
    const response = await postWebhook(
      {
        url: webhook.url,
        headers: {
          'webhook-id': delivery.event_id,
          'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
          'webhook-signature': signatureHeader(webhook.signing_secrets, delivery.event_id, at, delivery.payload),
        },
        body: delivery.payload,
        timeoutMs: config.webhookTimeoutMs,
        maxResponseBytes: RESPONSE_READ_BYTES,
        excerptBytes: EXCERPT_BYTES,
      },
      webhookDestinationPolicy(),
    );
    const delivered = response.status >= 200 && response.status < 300;
    return {
      delivered,
      statusCode: response.status,
      durationMs: response.durationMs,
      error: delivered ? null : response.status >= 300 && response.status < 400 ? `HTTP ${response.status} (redirects are not followed)` : `HTTP ${response.status}`,
      excerpt: response.excerpt || null,
      retryAfterSeconds: response.status === 429 || response.status === 503 ? response.retryAfterSeconds : undefined,
    };
  } catch (error) {
    if (!(error instanceof DeliveryFailure)) throw error;
    return { delivered: false, statusCode: null, durationMs: Date.now() - started, error: `${error.code}: ${error.message}`, excerpt: null };
  }
}

/** The wait before attempt `attempt + 1`: the schedule's step with ±10 % jitter, so retries of many deliveries spread out. */
export function retryDelaySeconds(attempt: number, schedule = config.webhookRetrySchedule): number {
  const step = schedule[Math.min(attempt, schedule.length) - 1] ?? 0;
  return Math.min(MAX_WAIT_SECONDS, Math.round(step * (0.9 + Math.random() * 0.2)));
}

/**
 * One attempt of a claimed delivery and its bookkeeping. `retries` says whether a failure will be tried
 * again (and after how long); it decides the delivery's status and the attempt's `next_retry_at`.
 * Every attempt (queued, test or replayed) counts in WebhookAttempts, every failed one in WebhookFailures.
 */
async function attemptAndRecord(
  webhook: DeliverableWebhook,
  delivery: Delivery,
  retries: (result: AttemptResult) => number | undefined,
): Promise<{ attempt: WebhookAttempt; result: AttemptResult; retryInSeconds?: number }> {
  const result = await post(webhook, delivery);
  countMetric('WebhookAttempts');
  if (!result.delivered) countMetric('WebhookFailures');
  const retryInSeconds = result.delivered ? undefined : retries(result);
  const status: DeliveryStatus = result.delivered ? 'delivered' : retryInSeconds === undefined ? 'failed' : 'pending';
  const attempt = await recordAttempt(
    delivery,
    {
      outcome: result.delivered ? 'delivered' : 'failed',
      status_code: result.statusCode,
      duration_ms: result.durationMs,
      error: result.error,
      response_excerpt: result.excerpt,
      next_retry_at: retryInSeconds === undefined ? null : nowIso(Date.now() + retryInSeconds * 1000),
    },
    status,
  );
  await recordHealth(webhook, result);
  return { attempt, result, retryInSeconds };
}

/** The failure clock, and disabling an endpoint that is gone (410) or has failed for too long. */
async function recordHealth(webhook: DeliverableWebhook, result: AttemptResult): Promise<void> {
  if (result.delivered) {
    if (webhook.failing_since) await markWebhookHealthy(webhook.id);
    return;
  }
  if (result.statusCode === 410) return disable(webhook, 'endpoint_gone');
  if (!webhook.failing_since) {
    await markWebhookFailing(webhook.id, nowIso());
    return;
  }
  if (Date.now() - Date.parse(webhook.failing_since) >= config.webhookDisableAfterSeconds * 1000) await disable(webhook, 'failing');
}

async function disable(webhook: DeliverableWebhook, reason: 'endpoint_gone' | 'failing'): Promise<void> {
  if (!(await disableWebhook(webhook.id, reason))) return;
  const now = nowIso();
  const data = { webhook_id: webhook.id, url: webhook.url, reason, failing_since: webhook.failing_since };
  logger.warn('webhook disabled', data);
  // Recorded for the team (and published to its other webhooks), once: only the call that disabled it gets here.
  await recordTeamEvent(webhook.team_id, 'webhook.disabled', data);
  await publishEvents([platformEvent({ team_id: webhook.team_id, type: 'webhook.disabled', timestamp: now, seed: `${webhook.id}\n${now}`, data })]);
}

/**
 * Handles one queue message. `receiveCount` is the message's delivery count: the schedule position, and on
 * the queue's last delivery a failure is final (the message then moves to the DLQ, from where it can be
 * redriven; the attempts log offers a retry too).
 */
export async function deliverJob(job: DeliveryJob, webhook: DeliverableWebhook | undefined, receiveCount: number): Promise<void> {
  if (!webhook) return;
  const claim = await claimDelivery(job.webhook_id, job.event_id, job.run, config.webhookTimeoutMs + 30_000);
  if (!claim) return;
  if ('busyForMs' in claim) throw new RetryLater(`delivery of ${job.event_id} to ${job.webhook_id} is leased`, Math.ceil(claim.busyForMs / 1000) + 1);
  const { delivery } = claim;
  if (!webhook.enabled) {
    await recordAttempt(
      delivery,
      {
        outcome: 'failed',
        status_code: null,
        duration_ms: 0,
        error: 'The webhook is disabled; nothing was sent. Enable it and retry this attempt to deliver the event.',
        response_excerpt: null,
        next_retry_at: null,
      },
      'failed',
    );
    return;
  }
  const last = receiveCount >= deliveryQueue.maxReceiveCount;
  const { result, retryInSeconds } = await attemptAndRecord(webhook, delivery, (failure) => {
    if (last || failure.statusCode === 410) return undefined;
    return failure.retryAfterSeconds !== undefined ? Math.min(MAX_WAIT_SECONDS, Math.max(1, failure.retryAfterSeconds)) : retryDelaySeconds(receiveCount);
  });
  if (result.delivered || result.statusCode === 410) return;
  // The last failure goes to the DLQ at once (visible again now, past maxReceiveCount); others wait their turn.
  throw new RetryLater(`webhook ${webhook.id} event ${job.event_id}: ${result.error}`, retryInSeconds ?? 0);
}

/** `POST /v1/webhooks/{id}/test`: one signed `webhook.test` event, attempted now, logged like any other. */
export async function sendTestEvent(webhook: DeliverableWebhook): Promise<WebhookAttempt> {
  const now = nowIso();
  const event = platformEvent({
    team_id: webhook.team_id,
    type: 'webhook.test',
    timestamp: now,
    seed: randomUUID(),
    data: { webhook_id: webhook.id, message: 'A test event from Mailroom. Respond with any 2xx status to acknowledge it.' },
  });
  const run = await createDelivery({ webhook_id: webhook.id, team_id: webhook.team_id, event_id: event.id, event_type: event.type, payload: JSON.stringify(webhookPayload(event)) });
  const claim = run && (await claimDelivery(webhook.id, event.id, run, config.webhookTimeoutMs + 30_000));
  if (!claim || !('delivery' in claim)) throw new Error('test delivery could not be claimed');
  const { attempt } = await attemptAndRecord({ ...webhook, enabled: true }, claim.delivery, () => undefined);
  return attempt;
}
