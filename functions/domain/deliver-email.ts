/**
 * The sender: hands one accepted email to SES, exactly once.
 *
 * A queue message can arrive more than once (redelivery, a crash before the ack). Only a `queued` email
 * (or a due `scheduled` one) can be claimed, so a message for an email that was already sent does
 * nothing. If a sender died after claiming but before recording the result, SES may or may not have
 * the message: it is marked failed (`send_interrupted`) rather than sent again, and an SES event for it
 * still moves it forward if SES did accept it.
 */
import { SendEmailCommand } from '@aws-sdk/client-sesv2';
import { ses } from '../shared/clients.js';
import { config } from '../shared/config.js';
import { logger } from '../shared/logger.js';
import { countMetric } from '../shared/metrics.js';
import { queueByName } from '../../lib/queues.js';
import { claimForSending, mailedRecipients, markFailed, recordSent, releaseClaim, appendEmailEvent, type StoredEmail } from '../repositories/emails.js';
import { getEmailPayload, withAttachmentContent, type EmailPayload } from '../repositories/mail-store.js';
import { addThreadRefs } from '../repositories/threads.js';
import { INTERRUPTED_FAILURE_RANK, STATUS_RANK } from './email-status.js';
import { buildMime } from './mime.js';
import { unsubscribeToken, unsubscribeUrl } from './unsubscribe.js';
import { enqueueSendJobs, sendDelaySeconds, type SendJob } from './send-queue.js';
import { RetryLater } from '../shared/queue/retry-later.js';
import { emailEvents, publishEvents } from './webhook-events.js';
import { countClaimed, countOnce, countTokens } from './email-stats.js';

/** Longer than any one send takes; after it, a `sending` email is known to be abandoned. */
export const SEND_LEASE_MS = 2 * 60 * 1000;
const sendQueue = queueByName('send');

/** SES answers that mean "slow down or try again", as opposed to "this message will never go". */
const RETRYABLE_SES_ERRORS = new Set(['TooManyRequestsException', 'LimitExceededException', 'ThrottlingException', 'InternalFailure', 'ServiceUnavailable']);

/**
 * Spaces SES calls out to the account's send rate. Each Lambda instance handles one batch at a time and
 * the event source runs at most `CONSUMER_MAX_CONCURRENCY` instances, so each paces to rate / concurrency.
 */
export class Pacer {
  private next = 0;
  constructor(private readonly intervalMs: number) {}
  async wait(): Promise<void> {
    const now = Date.now();
    const slot = Math.max(now, this.next);
    this.next = slot + this.intervalMs;
    if (slot > now) await new Promise((resolve) => setTimeout(resolve, slot - now));
  }
}

const pacer = new Pacer((1000 * Number(process.env.CONSUMER_MAX_CONCURRENCY ?? 1)) / config.sesSendRatePerSecond);

const bareAddress = (formatted: string) => /<([^>]+)>$/.exec(formatted)?.[1] ?? formatted;

/** `attempt` is the queue delivery count; on the last one a retryable failure becomes a recorded failure. */
export async function deliverEmail(job: SendJob, attempt: number): Promise<void> {
  // Paced before the claim: a worker that dies while its batch waits for its turn leaves those emails
  // unclaimed, for the next delivery to send, rather than claimed and then written off as interrupted.
  await pacer.wait();
  // Claimed with no read first; when it cannot be, the email as it is says why. A scheduled email is due a second early.
  const now = Date.now();
  const claim = await claimForSending(job.email_id, job.team_id, now + SEND_LEASE_MS, now + 1000);
  if (!claim.claimed) return notClaimed(job, claim.email);
  const { email } = claim;

  let messageId: string;
  try {
    messageId = await sendThroughSes(email, job.payload);
  } catch (error) {
    const name = (error as Error).name;
    if (mayHaveReachedSes(error)) {
      // No answer: SES may have the message. Sending again could deliver it twice; its events will tell.
      await failEmail(
        email,
        { code: 'send_interrupted', message: `The connection to SES broke before it answered (${(error as Error).message}); not sent again to avoid a duplicate.` },
        INTERRUPTED_FAILURE_RANK,
      );
      logger.warn('send outcome unknown; not resending', { email_id: email.id, error: error as Error });
      return;
    }
    const retryable = RETRYABLE_SES_ERRORS.has(name) || (error as { $retryable?: unknown }).$retryable !== undefined || !(error as { $fault?: string }).$fault;
    if (retryable && attempt < sendQueue.maxReceiveCount) {
      await releaseClaim(email.id);
      throw error;
    }
    const failure = retryable
      ? { code: 'send_retries_exhausted', message: `SES did not accept the email after ${attempt} attempts: ${(error as Error).message}` }
      : { code: sesErrorCode(name), message: (error as Error).message };
    await failEmail(email, failure);
    await appendEmailEvent(email.id, { type: 'failed', at: new Date().toISOString(), recipient: null, detail: failure }, `failed-${attempt}`);
    logger.warn('email failed', { email_id: email.id, ...failure });
    return;
  }
  // SES has the message now. If recording that fails, the claim stays: a redelivery must not send again.
  const sentAt = new Date().toISOString();
  const { claimed } = await recordSent(email.id, email.team_id, messageId, sentAt, countTokens('sent', mailedRecipients(email)));
  countMetric('EmailsSent');
  if (email.threading) {
    // Replies will quote SES's Message-ID (it replaced ours on the wire): make it lead to the thread too.
    await addThreadRefs(email.threading.inbox_id, email.threading.thread_id, [`<${messageId}@email.amazonses.com>`, `<${messageId}@${config.region}.amazonses.com>`]);
  }
  await Promise.all([countClaimed(email, claimed, sentAt), publishSent(email, messageId, sentAt)]);
}

/**
 * Why the job's email could not be claimed, from the email as it is: none (or another team's), canceled, not due
 * yet (queued again for later), being sent or abandoned mid-send, or a redelivery after it failed or was sent
 * (whose count and events may have been cut off: each happens once, so they are repeated).
 */
async function notClaimed(job: SendJob, email: StoredEmail | undefined): Promise<void> {
  if (!email || email.team_id !== job.team_id || email.status === 'canceled') return;
  if (email.status === 'scheduled' && email.scheduled_at) {
    const [unqueued] = await enqueueSendJobs([{ job, delaySeconds: sendDelaySeconds(email.scheduled_at) }]);
    // The current message stays on the queue (and is retried) until the next hop is queued.
    if (unqueued) throw new RetryLater(`could not re-queue scheduled email ${email.id}`);
    return;
  }
  if (email.status === 'sending') {
    if (email.lease_until && email.lease_until > Date.now()) throw new RetryLater(`email ${email.id} is being sent by another worker`);
    await failEmail(
      email,
      { code: 'send_interrupted', message: 'The sender stopped while handing this email to SES; it was not sent again to avoid a duplicate.' },
      INTERRUPTED_FAILURE_RANK,
    );
    logger.warn('send interrupted earlier; not resending', { email_id: email.id });
    return;
  }
  if (email.status === 'failed' && email.error) {
    await countOnce(email, 'failed', mailedRecipients(email), email.updated_at);
    await publishFailure(email, email.error, email.updated_at);
    return;
  }
  if (email.status_rank >= STATUS_RANK.sending && email.ses_message_id && email.sent_at) await publishSent(email, email.ses_message_id, email.sent_at);
}

/**
 * `email.sent`, published by whoever records the send: the sender, or SES's Send event for a send the sender
 * could not confirm. Its id is pinned to the email, so both (and any redelivery) publish one event.
 */
export function publishSent(email: StoredEmail, sesMessageId: string, sentAt: string): Promise<void> {
  return publishEvents(
    emailEvents(email, { type: 'email.sent', at: sentAt, recipients: mailedRecipients(email), detail: { ses_message_id: sesMessageId }, seed: 'sent', idTime: Date.parse(email.created_at) }),
  );
}

/** Records the failure and, if this call recorded it, tells webhooks (`email.failed`, one per recipient). */
async function failEmail(email: StoredEmail, failure: { code: string; message: string }, rank?: number): Promise<void> {
  if (!(await markFailed(email.id, failure, rank))) return;
  countMetric('EmailsFailed');
  const at = new Date().toISOString();
  await countOnce(email, 'failed', mailedRecipients(email), at);
  await publishFailure(email, failure, at);
}

function publishFailure(email: StoredEmail, failure: { code: string; message: string }, at: string): Promise<void> {
  const recipients = mailedRecipients(email);
  // The id is pinned to the email's creation: a republish after a redelivery gets the same one.
  return publishEvents(emailEvents(email, { type: 'email.failed', at, recipients, detail: { error: failure }, seed: 'failed', idTime: Date.parse(email.created_at) }));
}

/** Errors that prove the request never left (refused, unresolvable) are safe to retry; any other error without an HTTP answer is not. */
const NEVER_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN']);
function mayHaveReachedSes(error: unknown): boolean {
  const { $metadata, code } = error as { $metadata?: { httpStatusCode?: number }; code?: string };
  return $metadata?.httpStatusCode === undefined && !NEVER_SENT.has(code ?? '');
}

function sesErrorCode(name: string): string {
  return name.replace(/Exception$/, '').replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
}

async function sendThroughSes(email: StoredEmail, inlinePayload: EmailPayload | undefined): Promise<string> {
  const stored = inlinePayload ?? (email.payload_key ? await getEmailPayload(email.payload_key) : undefined);
  if (!stored) throw new Error(`email ${email.id} has no content: neither in its send job nor in S3`);
  const payload = await withAttachmentContent(stored);
  const queued = email.recipients.filter((r) => r.status === 'queued');
  const byType = (type: 'to' | 'cc' | 'bcc') => queued.filter((r) => r.type === type).map((r) => r.email);
  const unsubscribe = email.list_unsubscribe
    ? unsubscribeUrl(config.publicApiUrl, await unsubscribeToken({ team_id: email.team_id, email: queued[0]!.email, email_id: email.id }))
    : undefined;
  const raw = await buildMime({
    emailId: email.id,
    from: email.from,
    to: email.to,
    cc: email.cc,
    replyTo: email.reply_to,
    subject: email.subject,
    payload,
    unsubscribeUrl: unsubscribe,
    threading: email.threading && { messageId: email.threading.rfc_message_id, inReplyTo: email.threading.in_reply_to, references: email.threading.references },
  });
  const tracked = email.tracking.opens || email.tracking.clicks;
  const result = await ses.send(
    new SendEmailCommand({
      FromEmailAddress: bareAddress(email.from),
      Destination: { ToAddresses: byType('to'), CcAddresses: byType('cc'), BccAddresses: byType('bcc') },
      Content: { Raw: { Data: raw } },
      ConfigurationSetName: tracked ? config.sesConfigurationSet : config.sesConfigurationSetUntracked,
      EmailTags: [
        { Name: 'mailroom_email_id', Value: email.id },
        { Name: 'mailroom_team_id', Value: email.team_id },
        ...Object.entries(email.tags).map(([Name, Value]) => ({ Name, Value })),
      ],
    }),
  );
  return result.MessageId!;
}
