/** Consumes the send queue: each message is one accepted email (see functions/domain/deliver-email.ts). */
import * as z from 'zod';
import { queueConsumer } from '../shared/queue/consumer.js';
import { deliverEmail } from '../domain/deliver-email.js';

const SendJob = z.object({ email_id: z.string().min(1), team_id: z.string().min(1) });

export const handler = queueConsumer('send', SendJob, (job, record) => deliverEmail(job, Number(record.attributes.ApproximateReceiveCount ?? '1')));
