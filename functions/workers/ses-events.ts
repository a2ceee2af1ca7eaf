/**
 * Consumes SES configuration-set events (SNS raw delivery: each message body is one SES event record)
 * and applies them to the emails they belong to (functions/domain/ses-events.ts).
 */
import * as z from 'zod';
import { queueConsumer } from '../shared/queue/consumer.js';
import { applySesEvent, type SesEventRecord } from '../domain/ses-events.js';

const SesEvent = z.looseObject({
  eventType: z.string(),
  mail: z.looseObject({ timestamp: z.string(), messageId: z.string() }),
});

export const handler = queueConsumer('ses-events', SesEvent, (event, record) => applySesEvent(event as unknown as SesEventRecord, record.body));
