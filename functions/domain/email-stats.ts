/**
 * What the sender and the SES events worker add to the stats (functions/repositories/stats.ts) and to the
 * attribution data (functions/repositories/conversions.ts) as an email moves. Everything counts per
 * recipient, like SES events do, and at most once per (email, recipient, counter), so redeliveries add nothing.
 * An email sent by a campaign carries its id in the `mailroom_campaign` tag and counts for it too.
 */
import { config } from '../shared/config.js';
import type { StoredEmail } from '../repositories/emails.js';
import { countOncePerRecipient } from '../repositories/stats.js';
import { lastSentPut } from '../repositories/conversions.js';
import type { CounterName } from './stats.js';

type CountedEmail = Pick<StoredEmail, 'id' | 'team_id' | 'tags' | 'recipients'>;

export const campaignOf = (email: Pick<StoredEmail, 'tags'>) => email.tags.mailroom_campaign ?? null;

/** The addresses the email went (or would have gone) to: every recipient not suppressed at send time. */
const mailedRecipients = (email: CountedEmail) => email.recipients.filter((r) => r.status !== 'suppressed').map((r) => r.email);

/**
 * SES accepted the email: `sent` per recipient, and each recipient's last email for attribution, in one
 * TransactWriteItems (one per 49 recipients): a crash can no longer count the send and lose its attribution.
 * Whoever counts the send first (the sender, or SES's Send event for a send the sender could not confirm)
 * writes the attribution, so a late redelivery never makes an older email the last one again.
 */
export async function countSent(email: CountedEmail, sentAt: string): Promise<void> {
  const recipients = mailedRecipients(email);
  const campaignId = campaignOf(email);
  const sent = { email_id: email.id, campaign_id: campaignId, sent_at: sentAt };
  await countOncePerRecipient({
    teamId: email.team_id,
    campaignId,
    emailId: email.id,
    counter: 'sent',
    recipients,
    at: sentAt,
    alongside: (recipient) => lastSentPut(email.team_id, recipient, sent, config.attributionWindowDays),
  });
}

/** The email will never reach SES: `failed` per recipient. */
export async function countFailed(email: CountedEmail, at: string): Promise<void> {
  await countOncePerRecipient({ teamId: email.team_id, campaignId: campaignOf(email), emailId: email.id, counter: 'failed', recipients: mailedRecipients(email), at });
}

/** SES event outcomes (functions/domain/ses-events.ts) and the counter each one adds to. */
const SES_COUNTERS: Partial<Record<string, CounterName>> = {
  delivered: 'delivered',
  opened: 'opened',
  clicked: 'clicked',
  bounced: 'bounced',
  complained: 'complained',
  failed: 'failed',
};

/** An SES event about `recipients` of the email; outcomes that are not counted (delays) do nothing. */
export async function countSesOutcome(email: CountedEmail, outcome: string, recipients: readonly string[], at: string): Promise<void> {
  const counter = SES_COUNTERS[outcome];
  if (!counter || recipients.length === 0) return;
  await countOncePerRecipient({ teamId: email.team_id, campaignId: campaignOf(email), emailId: email.id, counter, recipients, at });
}
