/** Consumes the send queue: each message is one accepted email (see functions/domain/deliver-email.ts). */
import { queueConsumer } from '../shared/queue/consumer.js';
import { deliverEmail } from '../domain/deliver-email.js';
import { SendJob } from '../domain/send-queue.js';

export const handler = queueConsumer('send', SendJob, (job, record) => deliverEmail(job, Number(record.attributes.ApproximateReceiveCount ?? '1')));
