import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildReport, daySpan, ratesOf, toCents, totalsOf, type DayTally } from '../../functions/domain/stats.js';
import { StatsQuery } from '../../functions/schemas/stats.js';
import { ConversionBody } from '../../functions/schemas/conversions.js';

const zeros = { sent: 0, delivered: 0, opened: 0, clicked: 0, bounced: 0, complained: 0, failed: 0, unsubscribed: 0, converted: 0 };

describe('rates', () => {
  it('divide delivery and bounces by sent, the rest by delivered, rounded to 4 decimals', () => {
    const rates = ratesOf({ ...zeros, sent: 3, delivered: 2, opened: 1, clicked: 1, bounced: 1, complained: 1, unsubscribed: 1, converted: 2 });
    expect(rates).toEqual({
      delivery_rate: 0.6667,
      open_rate: 0.5,
      click_rate: 0.5,
      bounce_rate: 0.3333,
      complaint_rate: 0.5,
      unsubscribe_rate: 0.5,
      conversion_rate: 1,
    });
  });

  it('are null when the denominator is 0, and 0 when only the numerator is', () => {
    expect(ratesOf(zeros)).toEqual({
      delivery_rate: null,
      open_rate: null,
      click_rate: null,
      bounce_rate: null,
      complaint_rate: null,
      unsubscribe_rate: null,
      conversion_rate: null,
    });
    expect(ratesOf({ ...zeros, sent: 4 })).toMatchObject({ delivery_rate: 0, bounce_rate: 0, open_rate: null });
  });
});

describe('reports', () => {
  const tallies: DayTally[] = [
    { date: '2026-03-02', counts: { sent: 2, delivered: 2, converted: 1 }, revenueCents: { USD: 1999 } },
    { date: '2026-02-28', counts: { sent: 1, bounced: 1 }, revenueCents: { USD: 1, EUR: 500 } },
    { date: '2026-03-09', counts: { sent: 100 }, revenueCents: {} },
    // A second part of a day (the store splits busy days into shards).
    { date: '2026-03-02', counts: { sent: 1, delivered: 1 }, revenueCents: { USD: 1 } },
  ];

  it('lists every day of the range oldest first, across a month end, with zeros for quiet days', () => {
    const report = buildReport('2026-02-27', '2026-03-02', tallies);
    expect(report.days.map((d) => d.date)).toEqual(['2026-02-27', '2026-02-28', '2026-03-01', '2026-03-02']);
    expect(report.days[0]).toEqual({ date: '2026-02-27', ...zeros, revenue: {} });
    expect(report.days[1]).toEqual({ date: '2026-02-28', ...zeros, sent: 1, bounced: 1, revenue: { EUR: 5, USD: 0.01 } });
  });

  it('totals only the days in the range, revenue summed exactly per currency', () => {
    const report = buildReport('2026-02-27', '2026-03-02', tallies);
    expect(report.totals).toEqual({ ...zeros, sent: 4, delivered: 3, bounced: 1, converted: 1, revenue: { EUR: 5, USD: 20.01 } });
    expect(report.days.at(-1)).toEqual({ date: '2026-03-02', ...zeros, sent: 3, delivered: 3, converted: 1, revenue: { USD: 20 } });
    expect(report.rates.delivery_rate).toBe(0.75);
    expect(report.rates.conversion_rate).toBe(0.3333);
    expect(totalsOf(tallies).sent).toBe(104);
  });

  it('keeps hundredths exact where floating point would drift', () => {
    const many: DayTally[] = Array.from({ length: 10 }, (_, i) => ({ date: `2026-01-${String(i + 1).padStart(2, '0')}`, counts: {}, revenueCents: { USD: toCents(0.1) } }));
    expect(totalsOf(many).revenue).toEqual({ USD: 1 });
    expect(toCents(49.99)).toBe(4999);
    expect(() => toCents(1.005)).toThrow(RangeError);
  });
});

describe('day ranges (GET /v1/stats query)', () => {
  afterEach(() => vi.useRealTimers());

  it('default to the 30 days ending today (UTC)', () => {
    vi.useFakeTimers({ now: new Date('2026-03-10T23:30:00-05:00') });
    expect(StatsQuery.parse({})).toEqual({ from: '2026-02-10', to: '2026-03-11' });
    expect(StatsQuery.parse({ to: '2026-01-30' })).toEqual({ from: '2026-01-01', to: '2026-01-30' });
    expect(StatsQuery.parse({ from: '2026-03-01' })).toEqual({ from: '2026-03-01', to: '2026-03-11' });
  });

  it('accept one day and up to 366 days, both ends included', () => {
    expect(StatsQuery.parse({ from: '2026-05-05', to: '2026-05-05' })).toEqual({ from: '2026-05-05', to: '2026-05-05' });
    expect(daySpan('2024-01-01', '2024-12-31')).toBe(366);
    expect(StatsQuery.safeParse({ from: '2024-01-01', to: '2024-12-31' }).success).toBe(true);
  });

  it.each([
    ['from after to', { from: '2026-05-06', to: '2026-05-05' }, 'from'],
    ['367 days', { from: '2024-01-01', to: '2025-01-01' }, 'from'],
    ['not a calendar date', { from: '2026-02-30', to: '2026-03-01' }, 'from'],
    ['another format', { to: '2026/03/01' }, 'to'],
    ['an unknown parameter', { since: '2026-01-01' }, ''],
  ])('refuse %s', (_, query, field) => {
    const result = StatsQuery.safeParse(query);
    expect(result.success).toBe(false);
    expect(result.error!.issues[0]!.path.join('.')).toBe(field);
  });
});

describe('conversion body', () => {
  it('defaults event to purchase and currency to USD, and lowercases the address', () => {
    expect(ConversionBody.parse({ email: 'Ann@Example.com' })).toEqual({ email: 'ann@example.com', event: 'purchase', currency: 'USD' });
  });

  it.each([
    ['revenue with 3 decimals', { revenue: 1.005 }, 'revenue'],
    ['negative revenue', { revenue: -1 }, 'revenue'],
    ['revenue above 1e9', { revenue: 1e9 + 1 }, 'revenue'],
    ['a lower-case currency', { currency: 'usd' }, 'currency'],
    ['a made-up currency', { currency: 'ABC' }, 'currency'],
    ['an order id over 200 characters', { order_id: 'x'.repeat(201) }, 'order_id'],
    ['metadata over 4 KB', { metadata: { note: 'x'.repeat(4100) } }, 'metadata'],
    ['an event name with spaces', { event: 'bought it' }, 'event'],
  ])('refuses %s', (_, extra, field) => {
    const result = ConversionBody.safeParse({ email: 'ann@example.com', ...extra });
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((i) => i.path.join('.'))).toEqual([field]);
  });

  it('accepts revenue with 2 decimals up to 1e9 and an ISO currency', () => {
    expect(ConversionBody.parse({ email: 'a@b.co', revenue: 1e9, currency: 'JPY' })).toMatchObject({ revenue: 1e9, currency: 'JPY' });
    expect(ConversionBody.parse({ email: 'a@b.co', revenue: 19.99 }).revenue).toBe(19.99);
  });
});
