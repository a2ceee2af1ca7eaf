/**
 * Sending and conversion statistics: counters kept per team and per campaign per UTC day, added to as events
 * arrive (see functions/repositories/stats.ts), and the rates derived from them.
 */
import * as z from 'zod';
import { idOf } from './common.js';
import { COUNTERS, addDays, daySpan, isCalendarDay, todayUtc, type CounterName } from '../domain/stats.js';

export const MAX_STATS_DAYS = 366;
export const DEFAULT_STATS_DAYS = 30;

export const Day = z.string().refine(isCalendarDay, 'A calendar date as YYYY-MM-DD.');

const Revenue = z.record(z.string(), z.number()).describe('Conversion revenue per ISO 4217 currency, e.g. {"USD": 149.97}; on a campaign, only conversions attributed to it.');

const counterShape = Object.fromEntries(COUNTERS.map((name) => [name, z.number().int()])) as Record<CounterName, z.ZodNumber>;
export const Counters = z.object({ ...counterShape, revenue: Revenue });
export type Counters = z.infer<typeof Counters>;

const Rate = z.number().min(0).nullable();
export const Rates = z
  .object({
    delivery_rate: Rate.describe('delivered / sent'),
    open_rate: Rate.describe('opened / delivered (unique per recipient)'),
    click_rate: Rate.describe('clicked / delivered (unique per recipient)'),
    bounce_rate: Rate.describe('bounced / sent'),
    complaint_rate: Rate.describe('complained / delivered'),
    unsubscribe_rate: Rate.describe('unsubscribed / delivered'),
    conversion_rate: Rate.describe('converted / delivered'),
  })
  .describe('Ratios rounded to 4 decimals; null when the denominator is 0.');
export type Rates = z.infer<typeof Rates>;

export const StatsReport = z.object({
  from: Day,
  to: Day,
  totals: Counters,
  rates: Rates,
  days: z.array(Counters.extend({ date: Day })).describe('Every day of the range, oldest first (days without activity are zeros).'),
});
export type StatsReport = z.infer<typeof StatsReport>;

/**
 * A range of UTC days, both ends included: `to` defaults to today, `from` to the 30 days ending at `to`.
 * At most 366 days, so a report stays one Query of one partition (see functions/repositories/stats.ts).
 */
export const StatsQuery = z
  .strictObject({
    from: Day.optional().describe('First day (UTC), inclusive; default: 29 days before `to`.'),
    to: Day.optional().describe('Last day (UTC), inclusive; default: today.'),
  })
  .transform((query, ctx) => {
    const to = query.to ?? todayUtc();
    const from = query.from ?? addDays(to, -(DEFAULT_STATS_DAYS - 1));
    const span = daySpan(from, to);
    // Without `from` the span is always the default, so only a given `from` can be out of range.
    if (span < 1) ctx.addIssue({ code: 'custom', path: ['from'], message: '`from` must not be after `to`.', input: query.from });
    else if (span > MAX_STATS_DAYS) ctx.addIssue({ code: 'custom', path: ['from'], message: `At most ${MAX_STATS_DAYS} days in one report (got ${span}).`, input: query.from });
    return { from, to };
  });
export type StatsQuery = z.output<typeof StatsQuery>;

export const CampaignStatsParams = z.strictObject({ id: idOf('campaign') });
