/** Consumes platform events: one delivery per interested webhook (functions/domain/webhook-delivery.ts). */
import { queueConsumer } from '../shared/queue/consumer.js';
import { PlatformEvent } from '../domain/webhook-events.js';
import { fanOut } from '../domain/webhook-delivery.js';

export const handler = queueConsumer('webhook-fanout', PlatformEvent, (event) => fanOut(event));
