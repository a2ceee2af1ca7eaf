/**
 * Pausing a team's sending when its own bounce or complaint rate passes the deployment's limit (lib/auto-pause.ts),
 * before the account-wide SES rates do: SES reviews, then suspends, the whole account — every team's sending —
 * at 5 % bounces or 0.1 % complaints. Checked when a bounce or complaint is counted, over the team's last 7
 * days of stats (one Query), once the team has sent enough for a rate to mean something. The root key resumes
 * it (PATCH /v1/teams/{id} with `sending_paused: null`).
 */
import { config } from '../shared/config.js';
import { logger } from '../shared/logger.js';
import { countMetric } from '../shared/metrics.js';
import { pauseTeamSending } from '../repositories/teams.js';
import { teamDayTallies } from '../repositories/stats.js';
import { dayOf, totalsOf } from './stats.js';
import type { SendingPause } from '../schemas/teams.js';

const WINDOW_DAYS = 7;

/** The pause the team's rates call for, if any. */
export function pauseFor(totals: { sent: number; bounced: number; complained: number }, limits: NonNullable<typeof config.autoPause>, at: string): SendingPause | null {
  if (totals.sent < limits.minSends) return null;
  const bounceRate = totals.bounced / totals.sent;
  const complaintRate = totals.complained / totals.sent;
  const reason = bounceRate > limits.bounceRate ? 'bounce_rate' : complaintRate > limits.complaintRate ? 'complaint_rate' : null;
  if (!reason) return null;
  const [rate, limit, what] = reason === 'bounce_rate' ? [bounceRate, limits.bounceRate, 'bounce'] : [complaintRate, limits.complaintRate, 'complaint'];
  const percent = (n: number) => `${(n * 100).toFixed(2)} %`;
  return {
    reason,
    message: `Sending paused: the ${what} rate over the last ${WINDOW_DAYS} days is ${percent(rate)} of ${totals.sent} sends, above this deployment's ${percent(limit)}. Clean the list, then ask the operator to resume.`,
    bounce_rate: bounceRate,
    complaint_rate: complaintRate,
    sent: totals.sent,
    at,
  };
}

/** After a bounce or complaint of the team was counted: pauses its sending if its rates call for it. */
export async function checkTeamReputation(teamId: string, now = new Date()): Promise<void> {
  const limits = config.autoPause;
  if (!limits) return;
  const from = dayOf(new Date(now.getTime() - (WINDOW_DAYS - 1) * 86_400_000).toISOString());
  const totals = totalsOf(await teamDayTallies(teamId, from, dayOf(now.toISOString())));
  const pause = pauseFor({ sent: totals.sent ?? 0, bounced: totals.bounced ?? 0, complained: totals.complained ?? 0 }, limits, now.toISOString());
  if (!pause || !(await pauseTeamSending(teamId, pause))) return;
  // An operator must see this one: the alarm on TeamsPaused points here.
  logger.error('team sending paused automatically', { team_id: teamId, reason: pause.reason, bounce_rate: pause.bounce_rate, complaint_rate: pause.complaint_rate, sent: pause.sent });
  countMetric('TeamsPaused');
}
