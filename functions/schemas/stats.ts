/**
 * Sending and conversion statistics: counters kept per team and per campaign per UTC day, added to as events
 * arrive (see functions/repositories/stats.ts), and the rates derived from them.
 */
import * as z from 'zod';
import { idOf } from './common.js';
import { defineRoutes } from './contract.js';
import { COUNTERS, addDays, daySpan, isCalendarDay, todayUtc, type CounterName } from '../domain/stats.js';

export const MAX_STATS_DAYS = 366;
export const DEFAULT_STATS_DAYS = 30;

export const Day = z.string().refine(isCalendarDay, 'A calendar date as YYYY-MM-DD.');

const Revenue = z.record(z.string(), z.number()).describe('Conversion revenue per ISO 4217 currency, e.g. {"USD": 149.97}; on a campaign, only conversions attributed to it.');

const COUNTER_MEANINGS: Record<CounterName, string> = {
  sent: 'Recipients handed to SES.',
  delivered: 'Recipients SES delivered to.',
  opened: 'Recipients who opened (once per recipient).',
  clicked: 'Recipients who clicked a link (once per recipient).',
  bounced: 'Recipients that bounced.',
  complained: 'Recipients who marked the email as spam.',
  failed: 'Recipients never handed to SES, or refused by it.',
  unsubscribed: 'Contacts who unsubscribed; on a campaign, through its emails.',
  converted: 'Conversions; on a campaign, only those attributed to its emails.',
};
const counterShape = Object.fromEntries(COUNTERS.map((name) => [name, z.number().int().describe(COUNTER_MEANINGS[name])])) as Record<CounterName, z.ZodNumber>;
export const Counters = z.object({ ...counterShape, revenue: Revenue }).meta({ id: 'StatsCounters' });
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
  .describe('Ratios rounded to 4 decimals; null when the denominator is 0.')
  .meta({ id: 'StatsRates' });
export type Rates = z.infer<typeof Rates>;

export const StatsReport = z
  .object({
    from: Day.describe('First day of the report (UTC), inclusive.'),
    to: Day.describe('Last day of the report (UTC), inclusive.'),
    totals: Counters.describe('The counters summed over the range.'),
    rates: Rates,
    days: z
      .array(Counters.extend({ date: Day.describe('The UTC day, YYYY-MM-DD.') }).meta({ id: 'StatsDay' }))
      .describe('Every day of the range, oldest first (days without activity are zeros).'),
  })
  .meta({ id: 'StatsReport' });
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

export const STATS_ROUTES = defineRoutes({
  'stats.get': {
    summary: 'Get the team\'s sending statistics',
    description:
      'The team\'s counters per UTC day for `from`..`to` (both included; default: the 30 days ending today, at most 366 days), their totals, and the rates derived from them. ' +
      'Counters are added to as events arrive (sends, SES outcomes, opens, clicks, unsubscribes, conversions), so recent days can still grow.',
    query: StatsQuery,
    responses: { 200: StatsReport },
  },
  'campaign-stats.get': {
    summary: 'Get a campaign\'s statistics',
    description:
      'The same report as the team\'s statistics, counting only the emails this campaign sent, their outcomes and unsubscribes, and the conversions attributed to them (last touch). ' +
      'Days are UTC, `from`..`to` both included (default: the 30 days ending today, at most 366 days).',
    params: CampaignStatsParams,
    query: StatsQuery,
    responses: { 200: StatsReport },
  },
});
