/** Consumes received mail (functions/domain/receive-mail.ts); failures back off and end in the DLQ. Each receipt handled counts once in InboundMessages. */
import * as z from 'zod';
import { countMetric } from '../shared/metrics.js';
import { queueConsumer } from '../shared/queue/consumer.js';
import { receiveMail } from '../domain/receive-mail.js';

const Verdict = z.string().default('DISABLED');
const InboundJob = z.object({
  ses_message_id: z.string().min(1),
  timestamp: z.string(),
  recipients: z.array(z.string()).min(1),
  source: z.string().nullable(),
  verdicts: z.object({ spam: Verdict, virus: Verdict, spf: Verdict, dkim: Verdict, dmarc: Verdict }),
});

export const handler = queueConsumer('inbound', InboundJob, async (job) => {
  await receiveMail(job);
  countMetric('InboundMessages');
});
