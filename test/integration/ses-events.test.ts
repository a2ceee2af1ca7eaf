/**
 * The events worker's rules, with SES's documented event shapes (test/fixtures/ses) delivered in the
 * order SES may actually use: out of order and more than once.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { applySesEvent, type SesEventRecord } from '../../functions/domain/ses-events.js';
import type { MetricName } from '../../lib/metric-names.js';
import { queryAllWithPrefix } from '../../functions/repositories/table.js';
import { call, createTeam, startLocalStack, type LocalStack } from '../support/local-stack.js';

const counted = vi.hoisted(() => [] as { name: string; value: number }[]);
vi.mock('../../functions/shared/metrics.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../functions/shared/metrics.js')>();
  return {
    ...original,
    countMetric: (name: MetricName, value = 1) => {
      counted.push({ name, value });
      original.countMetric(name, value);
    },
  };
});
const metricTotal = (name: MetricName) => counted.filter((c) => c.name === name).reduce((sum, c) => sum + c.value, 0);

let stack: LocalStack;
let key: string;
let teamId: string;

beforeAll(async () => {
  // No workers: the test applies the events itself, in the order it chooses.
  stack = await startLocalStack({ withWorkers: false });
  const created = await createTeam(stack, 'ses-events');
  key = created.adminKey;
  teamId = created.team.id;
});
afterAll(() => stack.stop());

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/ses/${name}.json`, import.meta.url), 'utf8')) as SesEventRecord & Record<string, any>;

/** A fixture re-addressed to one of our emails, as SES would publish it for that send. */
function eventFor(name: string, emailId: string, recipient: string, at: string): SesEventRecord {
  const record = fixture(name);
  record.mail.tags = { ...record.mail.tags, mailroom_email_id: [emailId], mailroom_team_id: [teamId] };
  record.mail.destination = [recipient];
  record.mail.timestamp = at;
  for (const part of ['delivery', 'bounce', 'complaint', 'open', 'click', 'deliveryDelay'] as const) {
    if (record[part]) record[part].timestamp = at;
  }
  if (record.delivery) record.delivery.recipients = [recipient];
  if (record.bounce) record.bounce.bouncedRecipients = [{ ...record.bounce.bouncedRecipients[0], emailAddress: recipient }];
  if (record.complaint) record.complaint.complainedRecipients = [{ emailAddress: recipient }];
  return record;
}

async function newEmail(to: string) {
  const res = await call(stack.url, 'POST', '/v1/emails', { key, body: { from: 'a@mailroom.test', to, subject: 'Events', text: 'x' } });
  expect(res.status).toBe(202);
  return res.body.id as string;
}

const apply = (record: SesEventRecord) => applySesEvent(record, JSON.stringify(record));
const get = async (id: string) => (await call(stack.url, 'GET', `/v1/emails/${id}`, { key })).body;
const base = Date.now() + 1000;
const t = (seconds: number) => new Date(base + seconds * 1000).toISOString();

describe('SES events', () => {
  it('a late Send or Delivery never downgrades an opened email; every event is in the timeline once', async () => {
    const to = 'reader@example.com';
    const id = await newEmail(to);
    const open = eventFor('open', id, to, t(30));
    const delivery = eventFor('delivery', id, to, t(20));
    const send = eventFor('send', id, to, t(10));
    await apply(open);
    await apply(delivery);
    await apply(send);
    await apply(delivery);
    const email = await get(id);
    expect(email.status).toBe('opened');
    expect(email.recipients[0]).toMatchObject({ email: to, status: 'opened' });
    expect(email.events.map((e: { type: string }) => e.type)).toEqual(['queued', 'sent', 'delivered', 'opened']);
  });

  it('a redelivered Delivery appears once; its entry rides on the status write, a bounce keeps an event item', async () => {
    const to = 'twice@example.com';
    const id = await newEmail(to);
    const delivery = eventFor('delivery', id, to, t(20));
    await apply(eventFor('send', id, to, t(10)));
    await apply(delivery);
    await apply(delivery);
    await apply(eventFor('open', id, to, t(30)));
    // The timeline as it always looked: each entry once, in time order, with the same shape as an event item gives.
    const events = (await get(id)).events;
    expect(events.map((e: { type: string }) => e.type)).toEqual(['queued', 'sent', 'delivered', 'opened']);
    expect(events[2]).toEqual({ type: 'delivered', at: t(20), recipient: to, detail: { smtp_response: delivery.delivery!.smtpResponse, recipients: [to] } });
    expect(events[3]).toEqual({ type: 'opened', at: t(30), recipient: to, detail: { user_agent: expect.any(String), recipients: [to] } });
    // Both moved the status, so neither wrote an item of its own.
    expect(await queryAllWithPrefix(`EMAIL#${id}`, 'EVENT#')).toEqual([]);

    // Of two recipients, the first delivery moves the status (its entry names its recipient), the second does not.
    const [first, second] = ['one@example.com', 'two@example.com'];
    const res = await call(stack.url, 'POST', '/v1/emails', { key, body: { from: 'a@mailroom.test', to: [first, second], subject: 'Two', text: 'x' } });
    const deliveryTo = (recipient: string, at: string) => {
      const record = eventFor('delivery', res.body.id, recipient, at);
      record.mail.destination = [first, second];
      return record;
    };
    await apply(deliveryTo(first, t(20)));
    await apply(deliveryTo(second, t(21)));
    expect((await get(res.body.id)).events.slice(1)).toEqual([
      { type: 'delivered', at: t(20), recipient: first, detail: { smtp_response: expect.any(String), recipients: [first] } },
      { type: 'delivered', at: t(21), recipient: second, detail: { smtp_response: expect.any(String), recipients: [second] } },
    ]);

    const bouncing = 'bouncing@example.com';
    const bouncedId = await newEmail(bouncing);
    const bounce = eventFor('bounce-permanent', bouncedId, bouncing, t(5));
    await apply(bounce);
    await apply(bounce);
    expect((await get(bouncedId)).events.map((e: { type: string }) => e.type)).toEqual(['queued', 'bounced']);
    // Its suppression comes before its timeline entry, so the entry is an item written last.
    expect(await queryAllWithPrefix(`EMAIL#${bouncedId}`, 'EVENT#')).toHaveLength(1);
  });

  it('a complaint that arrives before the delivery keeps the email complained and suppresses the address', async () => {
    const to = 'annoyed@example.com';
    const id = await newEmail(to);
    await apply(eventFor('complaint', id, to, t(40)));
    await apply(eventFor('delivery', id, to, t(20)));
    await apply(eventFor('open', id, to, t(50)));
    expect((await get(id)).status).toBe('complained');
    const suppressions = await call(stack.url, 'GET', '/v1/suppressions', { key });
    expect(suppressions.body.data).toContainEqual(expect.objectContaining({ email: to, reason: 'complaint', source_email_id: id }));
  });

  it('a transient bounce is recorded without suppressing; a permanent one suppresses', async () => {
    const soft = 'full@example.com';
    const softId = await newEmail(soft);
    await apply(eventFor('bounce-transient', softId, soft, t(5)));
    expect((await get(softId)).status).toBe('bounced');
    const hard = 'gone@example.com';
    const hardId = await newEmail(hard);
    await apply(eventFor('bounce-permanent', hardId, hard, t(5)));
    const list = (await call(stack.url, 'GET', '/v1/suppressions', { key })).body.data.map((s: { email: string }) => s.email);
    expect(list).toContain(hard);
    expect(list).not.toContain(soft);
  });

  it('EmailsSent and EmailsFailed count emails, once each, whatever the number of recipients', async () => {
    const recipients = ['one@example.com', 'two@example.com'];
    const res = await call(stack.url, 'POST', '/v1/emails', { key, body: { from: 'a@mailroom.test', to: recipients, subject: 'Metrics', text: 'x' } });
    expect(res.status).toBe(202);
    const sentBefore = metricTotal('EmailsSent');
    // A Send event records a send the sender could not confirm (here: the sender never ran).
    const send = eventFor('send', res.body.id, recipients[0]!, t(5));
    send.mail.destination = recipients;
    await apply(send);
    await apply(send);
    expect(metricTotal('EmailsSent') - sentBefore).toBe(1);

    const rejected = await newEmail('refused@example.com');
    const reject = eventFor('reject', rejected, 'refused@example.com', t(5));
    reject.mail.destination = ['refused@example.com', 'also-refused@example.com'];
    const failedBefore = metricTotal('EmailsFailed');
    await apply(reject);
    await apply(reject);
    expect((await get(rejected)).status).toBe('failed');
    expect(metricTotal('EmailsFailed') - failedBefore).toBe(1);
  });

  it('ignores events of mail Mailroom did not send, and of another team', async () => {
    const to = 'x@example.com';
    const id = await newEmail(to);
    const foreign = eventFor('delivery', id, to, t(1));
    foreign.mail.tags = { ...foreign.mail.tags, mailroom_team_id: ['team_01jz0000000000000000000000'] };
    await apply(foreign);
    const untagged = fixture('delivery');
    await apply(untagged);
    expect((await get(id)).status).toBe('queued');
  });
});
