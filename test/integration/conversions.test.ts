/**
 * Conversions with last-touch attribution and the stats counters, on the local stack: emails go through the
 * real sender and the local SES front, whose events (delivery, opens, clicks) come back through the events
 * worker and move the counters.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applySesEvent, type SesEventRecord } from '../../functions/domain/ses-events.js';
import { conversionBodyHash } from '../../functions/domain/conversions.js';
import { claimOrder, recordLastSent } from '../../functions/repositories/conversions.js';
import { campaignTotals } from '../../functions/repositories/stats.js';
import { ConversionBody } from '../../functions/schemas/conversions.js';
import { newId } from '../../functions/shared/ids.js';
import { call, createTeam, endpoints, startLocalStack, type LocalStack } from '../support/local-stack.js';
import { expectError, expectEventually } from '../support/http.js';
import { withEnv } from '../support/env.js';

let stack: LocalStack;
const FROM = 'Shop <shop@mailroom.test>';
let unique = 0;
const fresh = (prefix: string) => `${prefix}-${process.pid}-${Date.now().toString(36)}-${unique++}@example.com`;
const today = () => new Date().toISOString().slice(0, 10);

beforeAll(async () => {
  // The campaign test converts between the first send and the end of the wait after it (3 days): 12 s, not 3 s,
  // so a busy machine's delivery latency does not decide it.
  stack = await startLocalStack({ campaignDayMs: 4000 });
});
afterAll(() => stack.stop());

async function send(key: string, to: string) {
  const res = await call(stack.url, 'POST', '/v1/emails', {
    key,
    body: { from: FROM, to, subject: 'Offer', html: '<p>Hi <a href="https://example.com/offer">offer</a></p>', tracking: { opens: true, clicks: true } },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return res.body.id as string;
}

const getEmail = async (key: string, id: string) => (await call(stack.url, 'GET', `/v1/emails/${id}`, { key })).body;
const stats = async (key: string, path = '/v1/stats') => {
  const res = await call(stack.url, 'GET', path, { key });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
};
const convert = (key: string, body: object, headers: Record<string, string> = {}) => call(stack.url, 'POST', '/v1/conversions', { key, body, headers });

/** What SES would do on its own later: an open or click of a message, through the local SES front's admin route. */
async function sesAdminEvent(messageId: string, event: object) {
  const res = await fetch(`${endpoints().ses}/_mailroom/messages/${messageId}/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(event) });
  expect(res.status).toBe(200);
}

/** Sending is paced and events come back through two queues: on a busy machine that can take a while. */
async function delivered(key: string, id: string, timeoutMs = 20_000) {
  return expectEventually(async () => {
    const email = await getEmail(key, id);
    expect(email.status).toBe('delivered');
    return email;
  }, timeoutMs);
}

describe('stats counters', () => {
  it('count exactly N sent and N delivered for N sends, unique opens and clicks, and ignore a redelivered SES event', async () => {
    const { adminKey: key, team } = await createTeam(stack, 'stats');
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(await send(key, fresh('reader')));
    const emails = await Promise.all(ids.map((id) => delivered(key, id)));
    await expectEventually(async () => expect((await stats(key)).totals).toMatchObject({ sent: 3, delivered: 3, failed: 0 }));

    // Two opens and a click of the first email by its one recipient: unique, so one open and one click.
    await sesAdminEvent(emails[0].ses_message_id, { type: 'Open' });
    await sesAdminEvent(emails[0].ses_message_id, { type: 'Open' });
    await sesAdminEvent(emails[0].ses_message_id, { type: 'Click', link: 'https://example.com/offer' });
    await expectEventually(async () => {
      const email = await getEmail(key, ids[0]!);
      expect(email.events.filter((e: { type: string }) => e.type === 'opened')).toHaveLength(2);
      expect(email.events.map((e: { type: string }) => e.type)).toContain('clicked');
    });

    // SES delivering the same Delivery record twice more (at-least-once) changes nothing.
    const to = emails[1].to[0];
    const redelivered: SesEventRecord = {
      eventType: 'Delivery',
      mail: { timestamp: emails[1].created_at, messageId: emails[1].ses_message_id, destination: [to], tags: { mailroom_email_id: [ids[1]!], mailroom_team_id: [team.id] } },
      delivery: { timestamp: new Date().toISOString(), recipients: [to], smtpResponse: '250 2.6.0 Message received' },
    };
    await applySesEvent(redelivered, JSON.stringify(redelivered));
    await applySesEvent(redelivered, JSON.stringify(redelivered));

    const report = await stats(key);
    expect(report.totals).toEqual({ sent: 3, delivered: 3, opened: 1, clicked: 1, bounced: 0, complained: 0, failed: 0, unsubscribed: 0, converted: 0, revenue: {} });
    expect(report.rates).toMatchObject({ delivery_rate: 1, open_rate: 0.3333, click_rate: 0.3333, bounce_rate: 0, conversion_rate: 0 });
    expect(report.to).toBe(today());
    expect(report.days).toHaveLength(30);
    expect(report.days.at(-1)).toMatchObject({ date: today(), sent: 3, delivered: 3, opened: 1 });
    expect(report.days[0]).toMatchObject({ sent: 0, delivered: 0 });
  }, 60_000);

  it('count exactly 20 for a batch of 20 whose events are counted concurrently', async () => {
    const { adminKey: key } = await createTeam(stack, 'stats-batch');
    const body = Array.from({ length: 20 }, () => ({ from: FROM, to: fresh('many'), subject: 'Batch', text: 'x' }));
    const res = await call(stack.url, 'POST', '/v1/emails/batch', { key, body });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    // Paced to the send rate, then 40 SES events.
    await Promise.all(res.body.data.map((e: { id: string }) => delivered(key, e.id, 40_000)));
    await expectEventually(async () => expect((await stats(key)).totals).toMatchObject({ sent: 20, delivered: 20 }));
  }, 60_000);

  it('count a bounce per recipient, and a contact unsubscribing once per transition', async () => {
    const { adminKey: key } = await createTeam(stack, 'stats-bounce');
    const id = await send(key, 'bounce@simulator.amazonses.com');
    await expectEventually(async () => expect((await getEmail(key, id)).status).toBe('bounced'));
    const identified = await call(stack.url, 'POST', '/v1/identify', { key, body: { email: fresh('leaver') } });
    const contactPath = `/v1/contacts/${identified.body.contact_id}`;
    expect((await call(stack.url, 'PATCH', contactPath, { key, body: { subscribed: false } })).status).toBe(200);
    expect((await call(stack.url, 'PATCH', contactPath, { key, body: { subscribed: false } })).status).toBe(200);
    await expectEventually(async () => expect((await stats(key)).totals).toMatchObject({ sent: 1, bounced: 1, delivered: 0, unsubscribed: 1 }));
    await call(stack.url, 'PATCH', contactPath, { key, body: { subscribed: true } });
    await call(stack.url, 'PATCH', contactPath, { key, body: { subscribed: false } });
    const report = await stats(key);
    expect(report.totals.unsubscribed).toBe(2);
    expect(report.rates).toMatchObject({ bounce_rate: 1, delivery_rate: 0, open_rate: null });
  });

  it('refuse a range that is backwards or longer than 366 days', async () => {
    const { adminKey: key } = await createTeam(stack, 'stats-range');
    expectError(await call(stack.url, 'GET', '/v1/stats?from=2026-03-02&to=2026-03-01', { key }), 422, 'validation_error');
    const long = await call(stack.url, 'GET', '/v1/stats?from=2024-01-01&to=2025-01-01', { key });
    expectError(long, 422, 'validation_error');
    expect(long.body.error.param).toBe('from');
    expectError(await call(stack.url, 'GET', '/v1/stats?from=yesterday', { key }), 422, 'validation_error');
    const one = await stats(key, '/v1/stats?from=2026-01-01&to=2026-01-01');
    expect(one.days).toEqual([expect.objectContaining({ date: '2026-01-01', sent: 0 })]);
    expect(one.rates.delivery_rate).toBeNull();
  });
});

describe('POST /v1/conversions', () => {
  it('credits the most recent email sent to the address within the window, and counts converted and revenue', async () => {
    const { adminKey: key } = await createTeam(stack, 'conv');
    const buyer = fresh('buyer');
    await delivered(key, await send(key, buyer));
    const latest = await send(key, buyer);
    await delivered(key, latest);

    const res = await convert(key, { email: buyer.toUpperCase(), revenue: 49.99, order_id: 'order-1', metadata: { plan: 'pro' } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toEqual({
      id: expect.stringMatching(/^cnv_/),
      contact_id: expect.stringMatching(/^ct_/),
      contact_created: true,
      event: 'purchase',
      revenue: 49.99,
      currency: 'USD',
      order_id: 'order-1',
      email_id: latest,
      campaign_id: null,
      attributed: true,
      ended_enrollments: [],
      created_at: expect.any(String),
    });
    const contact = await call(stack.url, 'GET', `/v1/contacts/${res.body.contact_id}`, { key });
    expect(contact.body).toMatchObject({ email: buyer, event_summary: { purchase: { count: 1 } } });

    const never = await convert(key, { email: fresh('stranger'), event: 'signup', revenue: 10, currency: 'EUR' });
    expect(never.status).toBe(201);
    expect(never.body).toMatchObject({ attributed: false, email_id: null, campaign_id: null, event: 'signup', currency: 'EUR' });

    const report = await stats(key);
    expect(report.totals).toMatchObject({ sent: 2, delivered: 2, converted: 2, revenue: { EUR: 10, USD: 49.99 } });
    expect(report.rates.conversion_rate).toBe(1);
  });

  it('a duplicate order_id is a 409 naming the first conversion, and counts nothing', async () => {
    const { adminKey: key } = await createTeam(stack, 'conv-dup');
    const body = { email: fresh('buyer'), revenue: 20, order_id: 'A-100' };
    const first = await convert(key, body);
    expect(first.status).toBe(201);
    for (const again of [body, { ...body, revenue: 25 }, { ...body, email: fresh('other') }]) {
      const res = await convert(key, again);
      expectError(res, 409, 'conflict');
      expect(res.body.error).toMatchObject({ param: 'order_id', conversion_id: first.body.id });
    }
    // Another team may use the same order id.
    const other = await createTeam(stack, 'conv-dup-b');
    expect((await convert(other.adminKey, body)).status).toBe(201);
    // With an Idempotency-Key, a retry replays the original answer instead.
    const keyed = { ...body, order_id: 'A-101' };
    const original = await convert(key, keyed, { 'Idempotency-Key': 'conv-A-101' });
    const replay = await convert(key, keyed, { 'Idempotency-Key': 'conv-A-101' });
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body).toEqual(original.body);
    expect((await stats(key)).totals).toMatchObject({ converted: 2, revenue: { USD: 40 } });
  });

  const hashOf = (body: object) => conversionBodyHash(ConversionBody.parse(body));

  it('a retry after an attempt that stopped midway finishes that conversion; one still in progress is a retryable 409', async () => {
    const { adminKey: key, team } = await createTeam(stack, 'conv-crash');
    const body = { email: fresh('buyer'), revenue: 5, order_id: 'crashed-1' };
    const abandoned = newId('conversion');
    await claimOrder(team.id, body.order_id, { conversion_id: abandoned, body_sha256: hashOf(body), lease_until: Date.now() - 1 });
    const finished = await convert(key, body);
    expect(finished.status, JSON.stringify(finished.body)).toBe(201);
    expect(finished.body.id).toBe(abandoned);
    expectError(await convert(key, body), 409, 'conflict');

    const busy = { ...body, order_id: 'busy-1' };
    const inFlight = newId('conversion');
    await claimOrder(team.id, busy.order_id, { conversion_id: inFlight, body_sha256: hashOf(busy), lease_until: Date.now() + 60_000 });
    const res = await convert(key, busy);
    expectError(res, 409, 'conflict', '', true);
    expect(res.body.error.conversion_id).toBe(inFlight);
    expect((await stats(key)).totals.converted).toBe(1);
  });

  it('does not credit an email sent before the window; a wider ATTRIBUTION_WINDOW_DAYS does', async () => {
    const { adminKey: key, team } = await createTeam(stack, 'conv-window');
    const buyer = fresh('late');
    const oldEmail = newId('email', Date.now() - 8 * 86_400_000);
    // An email sent 8 days ago, as the sender would have recorded it.
    await recordLastSent(team.id, buyer, { email_id: oldEmail, campaign_id: null, sent_at: new Date(Date.now() - 8 * 86_400_000).toISOString() }, 30);
    const outside = await convert(key, { email: buyer });
    expect(outside.body).toMatchObject({ attributed: false, email_id: null });
    const inside = await withEnv({ ATTRIBUTION_WINDOW_DAYS: '10' }, () => convert(key, { email: buyer }));
    expect(inside.body).toMatchObject({ attributed: true, email_id: oldEmail, contact_created: false });
  });
});

describe('campaign stats', () => {
  it("a goal conversion ends the enrolment and is credited to the campaign's email; its stats count both; another team gets 404", async () => {
    const { adminKey: key, team } = await createTeam(stack, 'campaign-stats');
    const template = await call(stack.url, 'POST', '/v1/templates', { key, body: { name: 'Try it', subject: 'Try it', html: '<p>Try it</p>' } });
    expect(template.status, JSON.stringify(template.body)).toBe(201);
    const created = await call(stack.url, 'POST', '/v1/campaigns', {
      key,
      body: {
        kind: 'triggered',
        name: 'Convert',
        trigger: { event: 'cart_abandoned' },
        goal_event: 'purchase',
        steps: [
          { type: 'send', template_id: template.body.id, from: FROM },
          { type: 'wait', duration: '3d' },
          { type: 'send', template_id: template.body.id, from: FROM },
        ],
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const campaignId = created.body.id as string;
    expect((await call(stack.url, 'POST', `/v1/campaigns/${campaignId}/launch`, { key })).status).toBe(200);

    const buyer = fresh('campaign-buyer');
    const tracked = await call(stack.url, 'POST', '/v1/events', { key, body: { email: buyer, event: 'cart_abandoned' } });
    expect(tracked.body.enrolled_campaigns, JSON.stringify(tracked.body)).toEqual(['Convert']);
    const sent = await expectEventually(async () => {
      const list = await call(stack.url, 'GET', `/v1/emails?recipient=${encodeURIComponent(buyer)}`, { key });
      expect(list.body.data).toHaveLength(1);
      return list.body.data[0];
    });
    expect(sent.tags).toMatchObject({ mailroom_campaign: campaignId });
    await delivered(key, sent.id);

    const conversion = await convert(key, { email: buyer, revenue: 12.5, currency: 'EUR', order_id: 'cart-1' });
    expect(conversion.status, JSON.stringify(conversion.body)).toBe(201);
    expect(conversion.body).toMatchObject({ attributed: true, email_id: sent.id, campaign_id: campaignId, contact_created: false, ended_enrollments: ['Convert'] });
    const enrollments = await call(stack.url, 'GET', `/v1/campaigns/${campaignId}/enrollments`, { key });
    expect(enrollments.body.data).toEqual([expect.objectContaining({ contact_id: tracked.body.contact_id, status: 'exited', exit_reason: 'converted' })]);
    await convert(key, { email: fresh('unrelated'), revenue: 1 });

    const report = await stats(key, `/v1/campaigns/${campaignId}/stats?from=${today()}&to=${today()}`);
    expect(report.totals).toMatchObject({ sent: 1, delivered: 1, converted: 1, revenue: { EUR: 12.5 } });
    expect(report.rates.conversion_rate).toBe(1);
    expect(report.days).toEqual([expect.objectContaining({ date: today(), sent: 1, converted: 1 })]);
    expect((await stats(key)).totals).toMatchObject({ sent: 1, converted: 2, revenue: { EUR: 12.5, USD: 1 } });
    expect(await campaignTotals(team.id, campaignId)).toMatchObject({ sent: 1, failed: 0, delivered: 1, converted: 1 });

    const other = await createTeam(stack, 'campaign-stats-b');
    expectError(await call(stack.url, 'GET', `/v1/campaigns/${campaignId}/stats`, { key: other.adminKey }), 404, 'not_found');
  }, 30_000);
});
