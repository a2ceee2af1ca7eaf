/**
 * The SES receipt rule's Lambda action (event invocation): SES has already stored the raw message in S3
 * (the rule's S3 action runs first). Hands each receipt to the inbound queue, whose DLQ and redrive keep
 * a failing message from ever being lost; the heavy work happens in the inbound worker.
 */
import type { SESEvent } from 'aws-lambda';
import { publishMetrics } from '../shared/metrics.js';
import { sendToQueue } from '../shared/queue/producer.js';
import type { InboundJob } from '../domain/receive-mail.js';

export async function handler(event: SESEvent): Promise<void> {
  const jobs: InboundJob[] = event.Records.map(({ ses: { mail, receipt } }) => ({
    ses_message_id: mail.messageId,
    timestamp: receipt.timestamp ?? mail.timestamp,
    recipients: receipt.recipients,
    source: mail.source ?? null,
    verdicts: {
      spam: receipt.spamVerdict?.status ?? 'DISABLED',
      virus: receipt.virusVerdict?.status ?? 'DISABLED',
      spf: receipt.spfVerdict?.status ?? 'DISABLED',
      dkim: receipt.dkimVerdict?.status ?? 'DISABLED',
      dmarc: receipt.dmarcVerdict?.status ?? 'DISABLED',
    },
  }));
  try {
    // Throwing makes Lambda retry the event invocation (and, after that, send it to the failure queue).
    await sendToQueue('inbound', jobs);
  } finally {
    publishMetrics();
  }
}
