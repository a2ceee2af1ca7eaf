/**
 * Webhook receivers that misbehave, under the real fan-out and delivery workers: one that hangs (each attempt
 * ends at the configured timeout with a recorded failure and its reason, retries follow the schedule, the
 * worker goes on with other work), and one that is down for longer than the whole schedule (its delivery is
 * parked in the DLQ, and `npm run redrive -- webhook-delivery` delivers it, once, after the receiver is back).
 * Timings are the test ones: a 1 s timeout and the schedule 1, 2, 3, 1, 1, 1, 1 s (test/setup/global-setup.ts).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queueByName } from '../../lib/queues.js';
import { call, createTeam } from '../support/local-stack.js';
import { eventually, expectEventually } from '../support/http.js';
import { startReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';
import { queueAndDlqDepth, redrive, startFaultStack, type FaultStack } from './support/fault-stack.js';
import { depth } from '../../scripts/redrive.js';

const TIMEOUT_MS = 1000;
let stack: FaultStack;
let receiver: WebhookReceiver;
let key: string;

beforeAll(async () => {
  stack = await startFaultStack({ label: 'hooks', consumers: ['webhook-fanout', 'webhook-delivery'], env: { WEBHOOK_TIMEOUT_MS: String(TIMEOUT_MS) } });
  receiver = await startReceiver();
  key = (await createTeam(stack, 'hooks')).adminKey;
});
afterAll(async () => {
  await stack?.stop();
  await receiver?.close();
});

async function createWebhook(path: string): Promise<string> {
  const res = await call(stack.url, 'POST', '/v1/webhooks', { key, body: { url: `${receiver.url}${path}`, event_types: ['contact.created'] } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id;
}

/** A new contact: one `contact.created` event for every webhook of the team. */
async function newContact(): Promise<string> {
  const email = `contact-${randomUUID().slice(0, 8)}@example.com`;
  const res = await call(stack.url, 'POST', '/v1/identify', { key, body: { email } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return email;
}

/** The webhook's attempts, oldest first. */
async function attempts(webhookId: string): Promise<any[]> {
  const res = await call(stack.url, 'GET', `/v1/webhooks/${webhookId}/attempts`, { key });
  return [...res.body.data].sort((a, b) => a.created_at.localeCompare(b.created_at));
}

const deliveryQueue = () => stack.queue('webhook-delivery');

describe('webhook receivers that misbehave', () => {
  it('a hanging receiver: each attempt ends at the timeout with a recorded failure, retries follow the schedule, the worker is not stuck', async () => {
    receiver.on('/hangs', (n) => (n <= 2 ? { hang: true } : { status: 200 }));
    const hanging = await createWebhook('/hangs');
    const healthy = await createWebhook('/healthy');
    await newContact();

    const log = await expectEventually(async () => {
      const all = await attempts(hanging);
      expect(all.map((a) => a.outcome)).toEqual(['failed', 'failed', 'delivered']);
      return all;
    }, 30_000);
    for (const failed of log.slice(0, 2)) {
      expect(failed).toMatchObject({ status_code: null, error: `timeout: no response within ${TIMEOUT_MS / 1000} s`, next_retry_at: expect.any(String) });
      // Ended at the timeout, not whenever the receiver might have answered.
      expect(failed.duration_ms).toBeGreaterThanOrEqual(TIMEOUT_MS);
      expect(failed.duration_ms).toBeLessThan(TIMEOUT_MS + 2000);
    }
    expect(log[2]).toMatchObject({ status_code: 200, error: null, next_retry_at: null });

    // The retries kept the schedule: each request came at least its wait (-10 % jitter) after the last one ended.
    const requests = receiver.at('/hangs');
    expect(requests.map((r) => r.hung)).toEqual([true, true, false]);
    for (const [i, wait] of [1, 2].entries()) {
      const next = requests[i + 1]!.at - requests[i]!.at;
      expect(next, `gap after attempt ${i + 1}`).toBeGreaterThanOrEqual(TIMEOUT_MS + wait * 900);
      expect(Date.parse(log[i].next_retry_at) - Date.parse(log[i].created_at)).toBeLessThanOrEqual(wait * 1100 + 1000);
    }

    // The same event reached the healthy endpoint once; a later event reaches both at once: nothing is held up.
    expect(receiver.at('/healthy')).toHaveLength(1);
    const before = Date.now();
    await newContact();
    await eventually(async () => receiver.at('/healthy').length === 2 && receiver.at('/hangs').length === 4, 10_000);
    expect(Date.now() - before).toBeLessThan(8000);
    expect((await attempts(healthy)).every((a) => a.outcome === 'delivered')).toBe(true);
  });

  it('a receiver down past the last retry: the delivery lands in the DLQ, and npm run redrive -- webhook-delivery delivers it once it is back', async () => {
    let up = false;
    receiver.on('/down', () => (up ? { status: 200 } : { status: 500, body: 'maintenance' }));
    const webhook = await createWebhook('/down');
    await newContact();

    const maxAttempts = queueByName('webhook-delivery').maxReceiveCount;
    const log = await expectEventually(async () => {
      const all = await attempts(webhook);
      expect(all).toHaveLength(maxAttempts);
      return all;
    }, 60_000, 250);
    expect(log.every((a) => a.outcome === 'failed' && a.status_code === 500 && a.error === 'HTTP 500' && a.response_excerpt === 'maintenance')).toBe(true);
    expect(log.at(-1).next_retry_at).toBeNull();
    await expectEventually(async () => expect(await depth(stack.sqs, deliveryQueue().dlqUrl)).toBe(1), 15_000);
    expect(await depth(stack.sqs, deliveryQueue().url)).toBe(0);
    const listed = await redrive(stack, '--list');
    expect(listed, listed.stderr).toMatchObject({ code: 0, stdout: expect.stringMatching(/^webhook-delivery\s+1\s+0\s+← npm run redrive -- webhook-delivery$/m) });

    up = true;
    const moved = await redrive(stack, 'webhook-delivery');
    expect(moved, moved.stderr).toMatchObject({ code: 0, stdout: expect.stringContaining('webhook-delivery: 1 message(s) moved') });
    await expectEventually(async () => expect((await attempts(webhook)).at(-1)).toMatchObject({ outcome: 'delivered', status_code: 200 }), 15_000);
    await expectEventually(async () => expect(await queueAndDlqDepth(stack.sqs, deliveryQueue())).toBe(0));
    // Delivered once, and a second redrive finds nothing to move.
    expect((await redrive(stack, 'webhook-delivery')).stdout).toContain('webhook-delivery: the DLQ is empty');
    expect(receiver.at('/down').filter((r) => r.status === 200)).toHaveLength(1);
    expect(await attempts(webhook)).toHaveLength(maxAttempts + 1);
  });
});
