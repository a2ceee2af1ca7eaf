/** Stats reports: UTC day arithmetic, per-day counters summed over a range, and the rates derived from them. */
import type { Counters, Rates, StatsReport } from '../schemas/stats.js';

/**
 * What is counted, per recipient: `sent` (handed to SES), `failed` (never reached SES or refused by it), the
 * SES outcomes `delivered`/`bounced`/`complained`, `opened`/`clicked` once per recipient (unique), `unsubscribed`,
 * and `converted` (conversions; on a campaign only those attributed to its emails).
 */
export const COUNTERS = ['sent', 'delivered', 'opened', 'clicked', 'bounced', 'complained', 'failed', 'unsubscribed', 'converted'] as const;
export type CounterName = (typeof COUNTERS)[number];

const DAY_MS = 86_400_000;

/** What the store keeps for (part of) one day: counts, and revenue in hundredths per currency (integers add exactly). */
export interface DayTally {
  date: string;
  counts: Partial<Record<CounterName, number>>;
  revenueCents: Record<string, number>;
}

/** The UTC day (YYYY-MM-DD) of a timestamp. */
export const dayOf = (at: string | number | Date) => new Date(at).toISOString().slice(0, 10);
export const todayUtc = () => dayOf(Date.now());

/** YYYY-MM-DD naming a day that exists (not 2026-02-30). */
export function isCalendarDay(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const time = Date.parse(`${value}T00:00:00Z`);
  return Number.isFinite(time) && dayOf(time) === value;
}

export const addDays = (day: string, days: number) => dayOf(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS);

/** Days from `from` to `to`, both included (0 or less when `from` is after `to`). */
export const daySpan = (from: string, to: string) => Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS) + 1;

/** Revenue in hundredths of the currency unit, as stored; refuses amounts with more than 2 decimals. */
export function toCents(amount: number): number {
  const cents = Math.round(amount * 100);
  if (Math.abs(cents - amount * 100) > 1e-6) throw new RangeError(`${amount} has more than 2 decimals`);
  return cents;
}

function counters(counts: Partial<Record<CounterName, number>>, revenueCents: Record<string, number>): Counters {
  const values = Object.fromEntries(COUNTERS.map((name) => [name, counts[name] ?? 0])) as Record<CounterName, number>;
  const revenue = Object.fromEntries(
    Object.entries(revenueCents)
      .filter(([, cents]) => cents !== 0)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([currency, cents]) => [currency, cents / 100]),
  );
  return { ...values, revenue };
}

const ratio = (numerator: number, denominator: number) => (denominator === 0 ? null : Math.round((numerator / denominator) * 10_000) / 10_000);

/** Delivery and bounces over what was sent; engagement, complaints, unsubscribes and conversions over what was delivered. */
export function ratesOf(c: Pick<Counters, CounterName>): Rates {
  return {
    delivery_rate: ratio(c.delivered, c.sent),
    open_rate: ratio(c.opened, c.delivered),
    click_rate: ratio(c.clicked, c.delivered),
    bounce_rate: ratio(c.bounced, c.sent),
    complaint_rate: ratio(c.complained, c.delivered),
    unsubscribe_rate: ratio(c.unsubscribed, c.delivered),
    conversion_rate: ratio(c.converted, c.delivered),
  };
}

/** Sums sparse tallies, in any order. */
function sumTallies(tallies: readonly DayTally[]): Pick<DayTally, 'counts' | 'revenueCents'> {
  const counts: Partial<Record<CounterName, number>> = {};
  const revenueCents: Record<string, number> = {};
  for (const tally of tallies) {
    for (const name of COUNTERS) counts[name] = (counts[name] ?? 0) + (tally.counts[name] ?? 0);
    for (const [currency, cents] of Object.entries(tally.revenueCents)) revenueCents[currency] = (revenueCents[currency] ?? 0) + cents;
  }
  return { counts, revenueCents };
}

/**
 * The report for `from`..`to`: every day of the range (zeros where nothing happened), totals and rates.
 * A day may come in several tallies (the store splits busy days); days outside the range are ignored.
 */
export function buildReport(from: string, to: string, tallies: readonly DayTally[]): StatsReport {
  const byDay = new Map<string, DayTally[]>();
  for (const tally of tallies) byDay.set(tally.date, [...(byDay.get(tally.date) ?? []), tally]);
  const days: StatsReport['days'] = [];
  const inRange: DayTally[] = [];
  for (let date = from, i = 0, n = daySpan(from, to); i < n; i++, date = addDays(date, 1)) {
    const parts = byDay.get(date) ?? [];
    inRange.push(...parts);
    const day = sumTallies(parts);
    days.push({ date, ...counters(day.counts, day.revenueCents) });
  }
  const sum = sumTallies(inRange);
  const totals = counters(sum.counts, sum.revenueCents);
  return { from, to, totals, rates: ratesOf(totals), days };
}

/** All-time totals of one set of tallies (a campaign's progress). */
export function totalsOf(tallies: readonly DayTally[]): Counters {
  const sum = sumTallies(tallies);
  return counters(sum.counts, sum.revenueCents);
}
