/**
 * What the sender and the SES events worker add to the stats (functions/repositories/stats.ts) and to the
 * attribution data (functions/repositories/conversions.ts) as an email moves. Everything counts per
 * recipient, like SES events do, and at most once per (email, recipient, counter): the email item's
 * `counted` set holds a token per counted pair, claimed in the same write as the status change that causes
 * it (or, when no status changes, in one write of its own). Only the caller that claimed a token counts it,
 * so redeliveries and racing workers add nothing. The counters are plain ADDs after the claim: a worker that
 * dies between the two loses that count rather than ever counting twice — a trade for not paying a
 * transaction (twice the write price, on every outcome of every email). In a queue batch the ADDs wait for the
 * batch: its claims are summed per (team, campaign, day) and written once when its records are done
 * (shared/queue/batch-scope.ts), so the window in which a crash loses counts is now the batch, and a flush that
 * fails loses its sums (logged with the numbers), never fails the records (rerun, they would claim nothing).
 * An email sent by a campaign carries its id in the `mailroom_campaign` tag and counts for it too.
 */
import { config } from '../shared/config.js';
import { logger } from '../shared/logger.js';
import { currentBatch } from '../shared/queue/batch-scope.js';
import { claimCounts, type StoredEmail } from '../repositories/emails.js';
import { addToCounters, type CounterChange } from '../repositories/stats.js';
import { recordLastSent } from '../repositories/conversions.js';
import { dayOf, type CounterName } from './stats.js';

type CountedEmail = Pick<StoredEmail, 'id' | 'team_id' | 'tags' | 'recipients'>;

export const campaignOf = (email: Pick<StoredEmail, 'tags'>) => email.tags.mailroom_campaign ?? null;

/** The tokens that claim `counter` for these recipients of one email. */
export const countTokens = (counter: CounterName, recipients: readonly string[]) => [...new Set(recipients)].map((r) => `${counter}:${r}`);

/** SES event outcomes (functions/domain/ses-events.ts) and the counter each one adds to; delays count nothing. */
export const SES_COUNTERS: Partial<Record<string, CounterName>> = {
  sent: 'sent',
  delivered: 'delivered',
  opened: 'opened',
  clicked: 'clicked',
  bounced: 'bounced',
  complained: 'complained',
  failed: 'failed',
};

/**
 * Adds what this caller claimed (`claimed`: tokens from countTokens that were new) to the team's and the
 * campaign's day; a send also becomes each recipient's last email for attribution.
 */
export async function countClaimed(email: CountedEmail, claimed: readonly string[], at: string): Promise<void> {
  const byCounter = new Map<CounterName, string[]>();
  for (const token of claimed) {
    const split = token.indexOf(':');
    const counter = token.slice(0, split) as CounterName;
    byCounter.set(counter, [...(byCounter.get(counter) ?? []), token.slice(split + 1)]);
  }
  if (!byCounter.size) return;
  const campaignId = campaignOf(email);
  const sentTo = byCounter.get('sent') ?? [];
  await Promise.all([
    addCounts({ teamId: email.team_id, campaignId, day: dayOf(at), shardSeed: email.id, counts: Object.fromEntries([...byCounter].map(([c, r]) => [c, r.length])) }),
    ...sentTo.map((recipient) => recordLastSent(email.team_id, recipient, { email_id: email.id, campaign_id: campaignId, sent_at: at }, config.attributionWindowDays)),
  ]);
}

/**
 * Counters the auto-pause check (domain/auto-pause.ts) reads right after counting one: written at once even in a
 * batch, or the bounce that crosses the limit would not pause the team. Rare outcomes, so little to sum anyway.
 */
const UNBATCHED_COUNTERS: ReadonlySet<CounterName> = new Set(['bounced', 'complained']);

/** Outside a queue batch written at once; in one, added to the batch's sums (all but UNBATCHED_COUNTERS). */
function addCounts(change: CounterChange): Promise<void> {
  const batch = currentBatch();
  if (!batch) return addToCounters(change);
  const now: CounterChange['counts'] = {};
  const sums = batch.collect('email-stats', () => new Map<string, CounterChange>(), flushSums);
  const key = `${change.teamId}\n${change.campaignId ?? ''}\n${change.day}`;
  // The first email's id picks the shard the sum goes to: one shard per flush.
  const sum = sums.get(key) ?? { ...change, counts: {} };
  sums.set(key, sum);
  for (const [counter, n] of Object.entries(change.counts) as [CounterName, number][]) {
    if (UNBATCHED_COUNTERS.has(counter)) now[counter] = n;
    else sum.counts[counter] = (sum.counts[counter] ?? 0) + n;
  }
  return Object.keys(now).length ? addToCounters({ ...change, counts: now }) : Promise.resolve();
}

async function flushSums(sums: Map<string, CounterChange>): Promise<void> {
  await Promise.all(
    [...sums.values()]
      .filter((sum) => Object.keys(sum.counts).length)
      .map((sum) =>
        addToCounters(sum).catch((error) =>
          logger.error('stats counts lost: a batch sum could not be added', { team_id: sum.teamId, campaign_id: sum.campaignId, day: sum.day, counts: sum.counts, error: error as Error }),
        ),
      ),
  );
}

/** Claims and counts `counter` for the recipients in a write of its own (when no status write could carry the claim). */
export async function countOnce(email: CountedEmail, counter: CounterName, recipients: readonly string[], at: string): Promise<void> {
  await countClaimed(email, await claimCounts(email.id, countTokens(counter, recipients)), at);
}
