/**
 * Applies one SES configuration-set event to the email it belongs to (found through the
 * `mailroom_email_id` tag every send carries): a timeline entry (once per distinct event), the email's and
 * each recipient's status moved forward by rank, and hard bounces and complaints added to the team's
 * suppression list. An outcome that moves the status and suppresses no one stores its timeline entry in
 * that status write; the others write an event item of their own.
 */
import { createHash } from 'node:crypto';
import { logger } from '../shared/logger.js';
import { countMetric } from '../shared/metrics.js';
import type { MetricName } from '../../lib/metric-names.js';
import type { EmailStatus } from '../schemas/emails.js';
import { advanceRecipientStatus, appendEmailEvent, advanceEmailStatus, claimCounts, hasTimelineEntry, recordSent } from '../repositories/emails.js';
import { addSuppression } from '../repositories/suppressions.js';
import { STATUS_RANK } from './email-status.js';
import { emailEvents, publishEvents, type EmailEventType } from './webhook-events.js';
import { countClaimed, countTokens, SES_COUNTERS } from './email-stats.js';
import { publishSent } from './deliver-email.js';
import { checkTeamReputation } from './auto-pause.js';

/** The parts of an SES event record this code reads (shapes: test/fixtures/ses/*.json). */
export interface SesEventRecord {
  eventType: string;
  mail: { timestamp: string; messageId: string; destination?: string[]; tags?: Record<string, string[]> };
  send?: Record<string, never>;
  delivery?: { timestamp: string; recipients: string[]; processingTimeMillis?: number; smtpResponse?: string };
  bounce?: { bounceType: string; bounceSubType: string; bouncedRecipients: { emailAddress: string; diagnosticCode?: string }[]; timestamp: string };
  complaint?: { complainedRecipients: { emailAddress: string }[]; timestamp: string; complaintFeedbackType?: string };
  reject?: { reason: string };
  deliveryDelay?: { delayType: string; delayedRecipients: { emailAddress: string; diagnosticCode?: string }[]; timestamp: string };
  open?: { timestamp: string; userAgent?: string; ipAddress?: string };
  click?: { timestamp: string; link: string; userAgent?: string; ipAddress?: string };
  failure?: { errorMessage: string; templateName?: string };
}

interface Outcome {
  type: string;
  status: EmailStatus;
  at: string;
  recipients: string[];
  reason: string | null;
  detail: Record<string, unknown>;
}

const lower = (address: string) => (/<([^>]+)>/.exec(address)?.[1] ?? address).trim().toLowerCase();

function outcomeOf(event: SesEventRecord): Outcome | undefined {
  const destination = (event.mail.destination ?? []).map(lower);
  switch (event.eventType) {
    case 'Send':
      return { type: 'sent', status: 'sent', at: event.mail.timestamp, recipients: destination, reason: null, detail: { ses_message_id: event.mail.messageId } };
    case 'Delivery':
      return { type: 'delivered', status: 'delivered', at: event.delivery!.timestamp, recipients: event.delivery!.recipients.map(lower), reason: null, detail: { smtp_response: event.delivery!.smtpResponse } };
    case 'Bounce': {
      const b = event.bounce!;
      return {
        type: 'bounced',
        status: 'bounced',
        at: b.timestamp,
        recipients: b.bouncedRecipients.map((r) => lower(r.emailAddress)),
        reason: `${b.bounceType}/${b.bounceSubType}`,
        detail: { bounce_type: b.bounceType, bounce_sub_type: b.bounceSubType, diagnostic: b.bouncedRecipients[0]?.diagnosticCode },
      };
    }
    case 'Complaint':
      return {
        type: 'complained',
        status: 'complained',
        at: event.complaint!.timestamp,
        recipients: event.complaint!.complainedRecipients.map((r) => lower(r.emailAddress)),
        reason: event.complaint!.complaintFeedbackType ?? 'complaint',
        detail: { feedback_type: event.complaint!.complaintFeedbackType },
      };
    case 'DeliveryDelay':
      return {
        type: 'delivery_delayed',
        status: 'delivery_delayed',
        at: event.deliveryDelay!.timestamp,
        recipients: event.deliveryDelay!.delayedRecipients.map((r) => lower(r.emailAddress)),
        reason: event.deliveryDelay!.delayType,
        detail: { delay_type: event.deliveryDelay!.delayType },
      };
    case 'Open':
      return { type: 'opened', status: 'opened', at: event.open!.timestamp, recipients: destination, reason: null, detail: { user_agent: event.open!.userAgent } };
    case 'Click':
      return { type: 'clicked', status: 'clicked', at: event.click!.timestamp, recipients: destination, reason: null, detail: { link: event.click!.link, user_agent: event.click!.userAgent } };
    case 'Reject':
      return { type: 'failed', status: 'failed', at: event.mail.timestamp, recipients: destination, reason: event.reject!.reason, detail: { reason: event.reject!.reason } };
    case 'Rendering Failure':
      return { type: 'failed', status: 'failed', at: event.mail.timestamp, recipients: destination, reason: event.failure!.errorMessage, detail: { reason: event.failure!.errorMessage } };
    default:
      return undefined;
  }
}

/**
 * The operational metrics (per recipient, counted once like the stats) of the delivery outcomes the alarms and
 * dashboard watch. EmailsSent and EmailsFailed count emails, here as in the sender, and go by what this call claimed.
 */
const OUTCOME_METRICS: Partial<Record<string, MetricName>> = { delivered: 'Deliveries', bounced: 'Bounces', complained: 'Complaints' };

export async function applySesEvent(event: SesEventRecord, rawBody: string): Promise<void> {
  const emailId = event.mail.tags?.mailroom_email_id?.[0];
  const outcome = outcomeOf(event);
  if (!emailId || !outcome) {
    logger.info('ses event ignored', { event_type: event.eventType, ses_message_id: event.mail.messageId });
    return;
  }
  const teamId = event.mail.tags?.mailroom_team_id?.[0] ?? '';
  const rank = STATUS_RANK[outcome.status];
  const at = new Date(outcome.at).toISOString();
  const counter = SES_COUNTERS[outcome.type];
  const claim = counter ? countTokens(counter, outcome.recipients) : [];
  if (event.eventType === 'Send') {
    // Recorded as the sender records a send (it lands in the timeline from sent_at), which proves a send the
    // sender could not confirm (send_interrupted). Whoever records it first counts it; email.sent has one id.
    const sent = await recordSent(emailId, teamId, event.mail.messageId, at, claim);
    if (sent.outcome === 'unknown' || !sent.email) return logger.warn('ses event for an unknown email', { email_id: emailId, event_type: event.eventType });
    if (!sent.claimed.length) return;
    countMetric('EmailsSent');
    await Promise.all([countClaimed(sent.email, sent.claimed, at), publishSent(sent.email, event.mail.messageId, at)]);
    return;
  }
  // A redelivered SES event hashes the same: one timeline entry and the same webhook event ids.
  const eventKey = createHash('sha256').update(rawBody).digest('hex').slice(0, 16);
  const timelineEvent = {
    type: outcome.type,
    at,
    recipient: outcome.recipients.length === 1 ? outcome.recipients[0]! : null,
    detail: { ...outcome.detail, recipients: outcome.recipients },
  };
  const suppress =
    event.eventType === 'Bounce' && event.bounce!.bounceType === 'Permanent' ? 'hard_bounce' : event.eventType === 'Complaint' ? 'complaint' : undefined;
  // The counting claim rides on the status write when the status moves, and so does the timeline entry of an
  // outcome with no suppression to come first (a bounce's or complaint's entry must not show before it).
  const { outcome: applied, email, claimed } = await advanceEmailStatus(emailId, teamId, {
    status: outcome.status,
    rank,
    claim,
    recipients: { addresses: outcome.recipients, reason: outcome.reason },
    ...(outcome.status === 'failed' && { error: { code: event.eventType === 'Reject' ? 'rejected' : 'rendering_failure', message: outcome.reason ?? '' } }),
    ...(!suppress && { timelineEntry: { event: timelineEvent, dedupeKey: eventKey, mailed: (event.mail.destination ?? []).map(lower) } }),
  });
  if (applied === 'unknown' || !email) {
    logger.warn('ses event for an unknown email', { email_id: emailId, event_type: event.eventType });
    return;
  }
  // Effects first, a separate timeline entry last: whoever sees the event in the timeline sees its effects too. The
  // recipients moved with the email's status; when it stayed (it got further already), each moves on its own.
  if (applied === 'kept') await Promise.all(outcome.recipients.map((recipient) => advanceRecipientStatus(emailId, recipient, outcome.status, rank, outcome.reason)));
  if (suppress) {
    await Promise.all(outcome.recipients.map((address) => addSuppression(teamId, { email: address, reason: suppress, source_email_id: emailId })));
  }
  // When the email's status did not move (a second recipient's delivery, an open after a click), the claim takes a write of its own.
  const counted = applied === 'applied' ? claimed : await claimCounts(emailId, claim);
  await countClaimed(email, counted, at);
  const metric = OUTCOME_METRICS[outcome.type];
  if (metric && counted.length) countMetric(metric, counted.length);
  if (outcome.type === 'failed' && counted.length) countMetric('EmailsFailed');
  if (counted.length && (outcome.type === 'bounced' || outcome.type === 'complained')) await checkTeamReputation(teamId);
  // Published whether or not the status moved (an open after a click is still an open); a redelivered
  // SES event yields the same event ids, so webhooks see it once.
  const { recipients: _recipients, ...detail } = { ...outcome.detail, ...(outcome.reason && { reason: outcome.reason }) } as Record<string, unknown>;
  await publishEvents(emailEvents(email, { type: `email.${outcome.type}` as EmailEventType, at, recipients: outcome.recipients, detail, seed: eventKey }));
  // Not in the status write: it did not apply, or a suppression had to come first. A redelivery of an event
  // whose status write applied finds its entry on the email already.
  if ((applied === 'kept' || suppress) && !hasTimelineEntry(email, eventKey)) await appendEmailEvent(emailId, timelineEvent, eventKey);
}
