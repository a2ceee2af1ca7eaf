/**
 * Webhooks end to end against a local receiver: subscriptions, Standard Webhooks signatures (checked with
 * the `standardwebhooks` and `svix` packages), retries on the (test-scaled) schedule, the DLQ and replay,
 * endpoint health, filters, inbox keys and SSRF refusals, and 1,000 events with none lost or duplicated.
 */
import nodemailer from 'nodemailer';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { Webhook as SvixWebhook } from 'svix';
import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_AWS } from '../../local/aws-env.js';
import { platformEvent, publishEvents } from '../../functions/domain/webhook-events.js';
import { call, createTeam, endpoints, startLocalStack, type LocalStack } from '../support/local-stack.js';
import { eventually, expectError, expectEventually } from '../support/http.js';
import { withEnv } from '../support/env.js';
import { startReceiver, type ReceivedRequest, type WebhookReceiver } from '../support/webhook-receiver.js';
import { workerStack } from '../support/worker-stack.js';
import { uniqueUsername } from './route-cases/inboxes.js';

const sqs = new SQSClient({ endpoint: endpoints().sqsS3, ...LOCAL_AWS, useQueueUrlAsEndpoint: false });
const deliveryQueue = () => workerStack().queues.find((q) => q.definition.name === 'webhook-delivery')!;
let stack: LocalStack;
let receiver: WebhookReceiver;
let key: string;

beforeAll(async () => {
  stack = await startLocalStack();
  receiver = await startReceiver();
  const created = await createTeam(stack, 'webhooks');
  key = created.adminKey;
});
afterAll(async () => {
  sqs.destroy();
  await stack.stop();
  await receiver.close();
});

async function createWebhook(body: Record<string, unknown>, apiKey = key) {
  const res = await call(stack.url, 'POST', '/v1/webhooks', { key: apiKey, body });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; secret: string } & Record<string, unknown>;
}

async function sendEmail(tags: Record<string, string> = {}, apiKey = key) {
  const res = await call(stack.url, 'POST', '/v1/emails', {
    key: apiKey,
    body: { from: 'hooks@mailroom.test', to: 'reader@example.com', subject: 'Webhook me', text: 'x', tags },
  });
  expect(res.status).toBe(202);
  return res.body.id as string;
}

const attempts = async (webhookId: string, apiKey = key) => (await call(stack.url, 'GET', `/v1/webhooks/${webhookId}/attempts`, { key: apiKey })).body.data as any[];
const headersOf = (r: ReceivedRequest) => ({
  'webhook-id': String(r.headers['webhook-id']),
  'webhook-timestamp': String(r.headers['webhook-timestamp']),
  'webhook-signature': String(r.headers['webhook-signature']),
});

describe('subscriptions', () => {
  it('shows the whsec_ secret once; lists and reads never include it', async () => {
    const created = await createWebhook({ url: `${receiver.url}/crud`, event_types: ['email.sent'], description: 'CRM sync' });
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(created).toMatchObject({ enabled: true, event_types: ['email.sent'], inbox_ids: null, disabled_reason: null });
    const got = await call(stack.url, 'GET', `/v1/webhooks/${created.id}`, { key });
    expect(got.body).not.toHaveProperty('secret');
    const list = await call(stack.url, 'GET', '/v1/webhooks', { key });
    expect(JSON.stringify(list.body)).not.toContain('whsec_');
    expect(list.body.data.map((w: any) => w.id)).toContain(created.id);

    const patched = await call(stack.url, 'PATCH', `/v1/webhooks/${created.id}`, { key, body: { enabled: false, event_types: null } });
    expect(patched.body).toMatchObject({ enabled: false, disabled_reason: 'manual', event_types: null, version: 2 });
    const stale = await call(stack.url, 'PATCH', `/v1/webhooks/${created.id}`, { key, body: { enabled: true }, headers: { 'if-match': '"1"' } });
    expectError(stale, 409, 'conflict');
    const removed = await call(stack.url, 'DELETE', `/v1/webhooks/${created.id}`, { key });
    expect(removed.status).toBe(200);
    expect((await call(stack.url, 'GET', `/v1/webhooks/${created.id}`, { key })).status).toBe(404);
  });

  it('refuses inbox filters naming inboxes of another team', async () => {
    const other = await createTeam(stack, 'webhooks-other');
    const inbox = await call(stack.url, 'POST', '/v1/inboxes', { key: other.adminKey, body: { username: uniqueUsername('wh') } });
    const res = await call(stack.url, 'POST', '/v1/webhooks', { key, body: { url: `${receiver.url}/x`, inbox_ids: [inbox.body.id] } });
    expectError(res, 422, 'validation_error');
    expect(res.body.error.param).toBe('inbox_ids');
  });
});

describe('signatures', () => {
  it('every delivery verifies with standardwebhooks and svix; a tampered body does not; payload carries email id, recipient and tags', async () => {
    const webhook = await createWebhook({ url: `${receiver.url}/signed`, event_types: ['email.sent', 'email.delivered'] });
    const emailId = await sendEmail({ campaign: 'spring' });
    const received = await eventually(async () => receiver.at('/signed').length >= 2 && receiver.at('/signed'), 15_000);
    expect(received.map((r) => JSON.parse(r.body).type).sort()).toEqual(['email.delivered', 'email.sent']);
    for (const request of received) {
      const headers = headersOf(request);
      const payload = new StandardWebhook(webhook.secret).verify(request.body, headers) as any;
      expect(new SvixWebhook(webhook.secret).verify(request.body, { 'svix-id': headers['webhook-id'], 'svix-timestamp': headers['webhook-timestamp'], 'svix-signature': headers['webhook-signature'] })).toEqual(payload);
      expect(payload).toMatchObject({ timestamp: expect.any(String), data: { email_id: emailId, recipient: 'reader@example.com', tags: { campaign: 'spring' } } });
      expect(headers['webhook-id']).toMatch(/^evt_/);
      const tampered = request.body.replace('reader@example.com', 'attacker@example.com');
      expect(() => new StandardWebhook(webhook.secret).verify(tampered, headers)).toThrow();
      expect(() => new SvixWebhook(webhook.secret).verify(tampered, headers)).toThrow();
    }
  });

  it('after a rotation, deliveries are signed with both secrets; each verifies', async () => {
    const webhook = await createWebhook({ url: `${receiver.url}/rotated` });
    const rotated = await call(stack.url, 'POST', `/v1/webhooks/${webhook.id}/rotate-secret`, { key });
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(webhook.secret);
    expect(Date.parse(rotated.body.previous_secret_expires_at) - Date.now()).toBeGreaterThan(23 * 3600 * 1000);
    const test = await call(stack.url, 'POST', `/v1/webhooks/${webhook.id}/test`, { key });
    expect(test.body).toMatchObject({ outcome: 'delivered', status_code: 200, event_type: 'webhook.test' });
    const [request] = receiver.at('/rotated');
    expect(request!.headers['webhook-signature']!.toString().split(' ')).toHaveLength(2);
    for (const secret of [webhook.secret, rotated.body.secret]) expect(() => new StandardWebhook(secret).verify(request!.body, headersOf(request!))).not.toThrow();
  });
});

// Each test has its own team (events of one never reach another's webhooks) and mostly waits: side by side.
describe.concurrent('retries', () => {
  it('a receiver failing 3 times then succeeding gets the event once as delivered: 4 attempts, growing gaps, fresh signatures', async () => {
    const { adminKey } = await createTeam(stack, 'wh-flaky');
    receiver.on('/flaky', (n) => (n <= 3 ? { status: 500, body: 'database is down' } : { status: 204 }));
    const webhook = await createWebhook({ url: `${receiver.url}/flaky`, event_types: ['email.sent'] }, adminKey);
    await sendEmail({}, adminKey);
    const log = await eventually(async () => {
      const list = await attempts(webhook.id, adminKey);
      return list.some((a) => a.outcome === 'delivered') && list;
    }, 30_000);
    expect(log.map((a) => [a.attempt, a.outcome, a.status_code])).toEqual([
      [4, 'delivered', 204],
      [3, 'failed', 500],
      [2, 'failed', 500],
      [1, 'failed', 500],
    ]);
    expect(log[3].response_excerpt).toBe('database is down');
    expect(log[3].next_retry_at).not.toBeNull();
    const requests = receiver.at('/flaky');
    expect(requests.filter((r) => r.status < 300)).toHaveLength(1);
    expect(new Set(requests.map((r) => r.headers['webhook-id'])).size).toBe(1);
    expect(new Set(requests.map((r) => r.headers['webhook-timestamp'])).size).toBe(4);
    for (const r of requests) expect(() => new StandardWebhook(webhook.secret).verify(r.body, headersOf(r))).not.toThrow();
    const gaps = requests.slice(1).map((r, i) => r.at - requests[i]!.at);
    // Schedule (test scale, test/setup/global-setup.ts): 1 s, 2 s, 3 s, ±10 % jitter.
    expect(gaps[0]).toBeGreaterThanOrEqual(800);
    expect(gaps[1]).toBeGreaterThan(gaps[0]!);
    expect(gaps[2]).toBeGreaterThan(gaps[1]!);
  }, 40_000);

  it('an endpoint that always fails ends in the DLQ after 8 attempts and is replayed once it recovers', async () => {
    const { adminKey } = await createTeam(stack, 'wh-down');
    let healthy = false;
    receiver.on('/down', () => (healthy ? { status: 200 } : { status: 503 }));
    const webhook = await createWebhook({ url: `${receiver.url}/down`, event_types: ['email.sent'] }, adminKey);
    await sendEmail({}, adminKey);
    const log = await eventually(async () => {
      const list = await attempts(webhook.id, adminKey);
      return list.length >= 8 && list;
    }, 40_000, 250);
    expect(log).toHaveLength(8);
    expect(log.every((a) => a.outcome === 'failed' && a.status_code === 503)).toBe(true);
    expect(log[0].next_retry_at).toBeNull();
    expect((await call(stack.url, 'GET', `/v1/webhooks/${webhook.id}`, { key: adminKey })).body.failing_since).not.toBeNull();
    const dead = await eventually(async () => {
      const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: deliveryQueue().dlqUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 0 }));
      return Messages.find((m) => JSON.parse(m.Body!).webhook_id === webhook.id);
    }, 10_000, 250);
    expect(JSON.parse(dead.Body!)).toMatchObject({ webhook_id: webhook.id, event_id: log[0].event_id });
    await sqs.send(new DeleteMessageCommand({ QueueUrl: deliveryQueue().dlqUrl, ReceiptHandle: dead.ReceiptHandle! }));

    healthy = true;
    const retry = await call(stack.url, 'POST', `/v1/webhooks/${webhook.id}/attempts/${log[0].id}/retry`, { key: adminKey });
    expect(retry.status).toBe(202);
    const after = await eventually(async () => {
      const list = await attempts(webhook.id, adminKey);
      return list[0]?.outcome === 'delivered' && list;
    }, 15_000);
    expect(after[0]).toMatchObject({ attempt: 9, status_code: 200, event_id: log[0].event_id });
    expect(receiver.at('/down').filter((r) => r.status === 200)).toHaveLength(1);
    // The worker records the attempt, then clears the failure clock: a read between the two still sees it.
    await expectEventually(async () => expect((await call(stack.url, 'GET', `/v1/webhooks/${webhook.id}`, { key: adminKey })).body.failing_since).toBeNull());
  }, 60_000);

  it('honours Retry-After on 429', async () => {
    const { adminKey } = await createTeam(stack, 'wh-busy');
    receiver.on('/busy', (n) => (n === 1 ? { status: 429, headers: { 'retry-after': '3' } } : { status: 200 }));
    const webhook = await createWebhook({ url: `${receiver.url}/busy`, event_types: ['email.sent'] }, adminKey);
    await sendEmail({}, adminKey);
    await eventually(async () => receiver.at('/busy').length >= 2, 20_000);
    const [first, second] = receiver.at('/busy');
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(2_900);
    const [, failed] = await attempts(webhook.id, adminKey);
    expect(Date.parse(failed.next_retry_at) - Date.parse(failed.created_at)).toBeGreaterThanOrEqual(2_900);
  }, 30_000);

  it('410 Gone disables the endpoint at once and records webhook.disabled, delivered to the team\'s other webhooks', async () => {
    const team = await createTeam(stack, 'webhooks-gone');
    receiver.on('/gone', () => ({ status: 410 }));
    const gone = await call(stack.url, 'POST', '/v1/webhooks', { key: team.adminKey, body: { url: `${receiver.url}/gone`, event_types: ['webhook.test', 'domain.verified'] } });
    const watcher = await call(stack.url, 'POST', '/v1/webhooks', { key: team.adminKey, body: { url: `${receiver.url}/watcher`, event_types: ['webhook.disabled'] } });
    const test = await call(stack.url, 'POST', `/v1/webhooks/${gone.body.id}/test`, { key: team.adminKey });
    expect(test.body).toMatchObject({ outcome: 'failed', status_code: 410, next_retry_at: null });
    const after = await call(stack.url, 'GET', `/v1/webhooks/${gone.body.id}`, { key: team.adminKey });
    expect(after.body).toMatchObject({ enabled: false, disabled_reason: 'endpoint_gone' });
    const [notice] = await eventually(async () => receiver.at('/watcher').length > 0 && receiver.at('/watcher'), 10_000);
    expect(JSON.parse(notice!.body)).toMatchObject({ type: 'webhook.disabled', data: { webhook_id: gone.body.id, reason: 'endpoint_gone' } });
    expect(() => new StandardWebhook(watcher.body.secret).verify(notice!.body, headersOf(notice!))).not.toThrow();
  });
});

describe('endpoint health', () => {
  it('an endpoint failing for longer than the limit (5 days; 0 s here) is disabled; enabling it again resets the clock', async () => {
    receiver.on('/dying', () => ({ status: 500 }));
    const webhook = await createWebhook({ url: `${receiver.url}/dying` });
    await withEnv({ WEBHOOK_DISABLE_AFTER_SECONDS: '0' }, async () => {
      await call(stack.url, 'POST', `/v1/webhooks/${webhook.id}/test`, { key });
      const failing = (await call(stack.url, 'GET', `/v1/webhooks/${webhook.id}`, { key })).body;
      expect(failing).toMatchObject({ enabled: true, failing_since: expect.any(String) });
      await call(stack.url, 'POST', `/v1/webhooks/${webhook.id}/test`, { key });
    });
    const disabled = (await call(stack.url, 'GET', `/v1/webhooks/${webhook.id}`, { key })).body;
    expect(disabled).toMatchObject({ enabled: false, disabled_reason: 'failing' });
    const enabled = await call(stack.url, 'PATCH', `/v1/webhooks/${webhook.id}`, { key, body: { enabled: true } });
    expect(enabled.body).toMatchObject({ enabled: true, disabled_reason: null, failing_since: null });
  });
});

describe('filters and inbox keys', () => {
  it('an inbox key manages its own inbox\'s webhooks only, and gets message.received for that inbox alone', async () => {
    const mine = await call(stack.url, 'POST', '/v1/inboxes', { key, body: { username: uniqueUsername('whmine') } });
    const other = await call(stack.url, 'POST', '/v1/inboxes', { key, body: { username: uniqueUsername('whother') } });
    const inboxKey = mine.body.api_key.key as string;

    const teamWide = await createWebhook({ url: `${receiver.url}/team-wide`, event_types: ['message.received'] });
    const own = await createWebhook({ url: `${receiver.url}/inbox-only` }, inboxKey);
    expect(own.inbox_ids).toEqual([mine.body.id]);
    const foreign = await call(stack.url, 'POST', '/v1/webhooks', { key: inboxKey, body: { url: `${receiver.url}/x`, inbox_ids: [other.body.id] } });
    expectError(foreign, 422, 'validation_error');
    expect((await call(stack.url, 'GET', `/v1/webhooks/${teamWide.id}`, { key: inboxKey })).status).toBe(404);
    expect((await call(stack.url, 'DELETE', `/v1/webhooks/${teamWide.id}`, { key: inboxKey })).status).toBe(404);
    expect((await call(stack.url, 'GET', '/v1/webhooks', { key: inboxKey })).body.data.map((w: any) => w.id)).toEqual([own.id]);

    const smtp = nodemailer.createTransport({ host: '127.0.0.1', port: stack.smtpPort, secure: false, ignoreTLS: true });
    await smtp.sendMail({ from: 'ann@example.com', to: other.body.address, subject: 'For the other inbox', text: 'hello' });
    await smtp.sendMail({ from: 'ann@example.com', to: mine.body.address, subject: 'For my inbox', text: 'hello' });
    const [delivered] = await eventually(async () => receiver.at('/inbox-only').length > 0 && receiver.at('/inbox-only'), 15_000);
    const payload = new StandardWebhook(own.secret).verify(delivered!.body, headersOf(delivered!)) as any;
    expect(payload).toMatchObject({ type: 'message.received', data: { inbox_id: mine.body.id, subject: 'For my inbox', url: expect.stringContaining('/messages/msg_') } });
    expect(payload.data).not.toHaveProperty('text');
    await eventually(async () => receiver.at('/team-wide').length >= 2, 10_000);
    expect(receiver.at('/inbox-only')).toHaveLength(1);
  }, 30_000);
});

describe('destinations (production policy)', () => {
  it('refuses private, loopback, link-local, metadata and IPv6-mapped addresses; HTTP only where allowed', async () => {
    const localhostHook = await createWebhook({ url: `${receiver.url.replace('127.0.0.1', 'localhost')}/ssrf` });
    await withEnv({ WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'false' }, async () => {
      for (const url of ['https://127.0.0.1/hook', 'https://10.0.0.1/hook', 'https://169.254.169.254/latest/meta-data', 'https://[::ffff:127.0.0.1]/hook', 'https://localhost/hook']) {
        const res = await call(stack.url, 'POST', '/v1/webhooks', { key, body: { url } });
        expectError(res, 422, 'validation_error', url);
        expect(res.body.error.param).toBe('url');
      }
      // Checked again at delivery, after DNS: a webhook that was allowed before is refused now, nothing is sent.
      const test = await call(stack.url, 'POST', `/v1/webhooks/${localhostHook.id}/test`, { key });
      expect(test.body).toMatchObject({ outcome: 'failed', status_code: null });
      expect(test.body.error).toContain('blocked_address');
      expect(receiver.at('/ssrf')).toHaveLength(0);
    });
    await withEnv({ WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'false', WEBHOOK_ALLOW_HTTP: 'false' }, async () => {
      const plain = await call(stack.url, 'POST', '/v1/webhooks', { key, body: { url: 'http://hooks.example.com/x' } });
      expectError(plain, 422, 'validation_error');
      const https = await call(stack.url, 'POST', '/v1/webhooks', { key, body: { url: 'https://hooks.example.com/x' } });
      expect(https.status).toBe(201);
      // Nothing answers there offline: do not leave it subscribed to the rest of the suite's events.
      await call(stack.url, 'DELETE', `/v1/webhooks/${https.body.id}`, { key });
    });
  });
});

describe('volume', () => {
  it('1,000 events to a healthy receiver: none lost, none duplicated (by webhook-id)', async () => {
    const team = await createTeam(stack, 'webhooks-bulk');
    const webhook = await call(stack.url, 'POST', '/v1/webhooks', { key: team.adminKey, body: { url: `${receiver.url}/bulk` } });
    expect(webhook.status).toBe(201);
    const now = Date.now();
    const events = Array.from({ length: 1000 }, (_, i) =>
      platformEvent({ team_id: team.team.id, type: 'email.sent', timestamp: new Date(now + i).toISOString(), seed: `bulk-${i}`, data: { email_id: `em_bulk_${i}`, n: i } }),
    );
    const started = Date.now();
    await publishEvents(events);
    await eventually(async () => new Set(receiver.at('/bulk').map((r) => r.headers['webhook-id'])).size >= 1000, 90_000, 250);
    const elapsed = Date.now() - started;
    // Give any duplicate time to arrive before counting.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const ids = receiver.at('/bulk').map((r) => r.headers['webhook-id']);
    expect(ids).toHaveLength(1000);
    expect(new Set(ids)).toEqual(new Set(events.map((e) => e.id)));
    expect(elapsed).toBeLessThan(90_000);
  }, 120_000);
});
