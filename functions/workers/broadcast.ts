/** Consumes the broadcast queue: each message is one page of a broadcast's segment (see functions/domain/broadcasts.ts). */
import * as z from 'zod';
import { queueConsumer } from '../shared/queue/consumer.js';
import { sendBroadcastPage } from '../domain/broadcasts.js';

const BroadcastPageJob = z.object({ team_id: z.string().min(1), campaign_id: z.string().min(1), page: z.number().int().min(0) });

export const handler = queueConsumer('broadcast', BroadcastPageJob, (job, record) => sendBroadcastPage(job, Number(record.attributes.ApproximateReceiveCount ?? '1')));
