/** Consumes webhook deliveries: one signed attempt per message, retried on the webhook schedule (functions/domain/webhook-delivery.ts). */
import * as z from 'zod';
import { queueConsumer } from '../shared/queue/consumer.js';
import { deliverJob } from '../domain/webhook-delivery.js';
import { findDeliverableWebhook } from '../repositories/webhooks.js';

const DeliveryJob = z.object({ webhook_id: z.string().min(1), event_id: z.string().min(1), run: z.string().min(1) });

export const handler = queueConsumer('webhook-delivery', DeliveryJob, async (job, record, batch) =>
  deliverJob(
    job,
    await batch.memo(`webhook:${job.webhook_id}`, () => findDeliverableWebhook(job.webhook_id)),
    Number(record.attributes.ApproximateReceiveCount ?? '1'),
  ),
);
