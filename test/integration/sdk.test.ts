/**
 * @mailroom/sdk against the local stack (real HTTP, real handlers, every answer held to the OpenAPI document):
 * every resource, errors, pagination, idempotent replays, webhook verification, and retries through a local
 * front that injects 429s, 409s, 503s and dropped connections before forwarding to the stack.
 *
 * The calls are typed with the generated types and assigned without casts: `tsc --noEmit` proves a client
 * generated from the OpenAPI document (openapi-typescript) type-checks against the real responses.
 * Each test has its own resources (unique names, tags and hook paths), so all of them run side by side.
 */
import { createServer, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Mailroom,
  MailroomError,
  WebhookVerificationError,
  webhooks,
  type ApiKeyCreated,
  type Bucket,
  type Campaign,
  type Contact,
  type Email,
  type EmailWithEvents,
  type InboxCreated,
  type InboxMessage,
  type InboxMessageSummary,
  type InboxSentMessage,
  type InboxThreadDetail,
  type OperationResult,
  type StatsReport,
  type Template,
  type WebhookEvent,
  type WebhookWithSecret,
} from '@mailroom/sdk';
import { createTeam, startLocalStack, type LocalStack } from '../support/local-stack.js';
import { eventually, expectEventually } from '../support/http.js';
import { startReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';

const FROM = 'SDK Tests <sdk@mailroom.test>';
const SUCCESS = 'success@simulator.amazonses.com';
const unique = (prefix: string) => `${prefix}-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;

let stack: LocalStack;
let receiver: WebhookReceiver;
let mailroom: Mailroom;
let adminKey: string;

beforeAll(async () => {
  [stack, receiver] = await Promise.all([startLocalStack(), startReceiver()]);
  ({ adminKey } = await createTeam(stack, 'sdk'));
  mailroom = new Mailroom({ apiKey: adminKey, baseUrl: stack.url });
});
afterAll(async () => {
  await Promise.all([stack?.stop(), receiver?.close()]);
});

/** Delivers a message to the local SMTP port, as a sender outside Mailroom would. */
async function deliver(to: string, subject: string, text: string) {
  await nodemailer.createTransport({ host: '127.0.0.1', port: stack.smtpPort, ignoreTLS: true }).sendMail({ from: 'Customer <customer@example.com>', to, subject, text });
}

describe.concurrent('the client', () => {
  it('health, me and the self-description', async () => {
    expect(await mailroom.health()).toMatchObject({ ok: true });
    expect(await mailroom.me()).toMatchObject({ kind: 'team' });
    // The reference routes are left out of the resources: they are reached by id.
    const llms: string = await mailroom.request('reference.llms');
    expect(llms).toContain('### POST /v1/emails');
    expect(await mailroom.request('reference.openapi')).toMatchObject({ openapi: '3.1.0' });
  });

  it('turns an error answer into a MailroomError with the envelope fields', async () => {
    const missing = await mailroom.emails.get('em_00000000000000000000000000').catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(MailroomError);
    expect(missing).toMatchObject({ status: 404, code: 'not_found', retryable: false, requestId: expect.stringMatching(/^req_/) });
    expect((missing as MailroomError).headers.get('x-request-id')).toBe((missing as MailroomError).requestId);

    const invalid = await mailroom.emails.send({ from: FROM, to: 'not an address', subject: 'x', text: 'x' }).catch((error: unknown) => error);
    expect(invalid).toMatchObject({ status: 422, code: 'validation_error', retryable: false });
    expect((invalid as MailroomError).errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: expect.stringMatching(/^to/) })]));

    const unauthenticated = new Mailroom({ apiKey: 'mr_wrong', baseUrl: stack.url });
    await expect(unauthenticated.emails.list()).rejects.toMatchObject({ status: 401, code: 'authentication_required' });
  });

  it('reports a refused connection as a retryable network_error after its retries, even for a POST that is not idempotent', async () => {
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as AddressInfo;
        server.close(() => resolve(port));
      });
    });
    const closed = new Mailroom({ apiKey: adminKey, baseUrl: `http://127.0.0.1:${port}`, maxRetries: 1 });
    const started = Date.now();
    // The connection never opened, so the request never reached a server: sending it again cannot act twice.
    await expect(closed.campaigns.launch('cmp_00000000000000000000000000')).rejects.toMatchObject({ status: 0, code: 'network_error', retryable: true });
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });
});

describe.concurrent('teams, keys and the audit log', () => {
  it('the root key manages teams', async () => {
    const root = new Mailroom({ apiKey: stack.rootKey, baseUrl: stack.url });
    const slug = unique('sdk-team');
    const created = await root.teams.create({ slug, name: 'SDK team' });
    expect(created).toMatchObject({ slug, api_key: { key: expect.stringMatching(/^mr_/) } });
    expect(await root.teams.update(created.id, { name: 'Renamed' })).toMatchObject({ name: 'Renamed' });
    expect(await root.teams.get(created.id)).toMatchObject({ id: created.id, name: 'Renamed' });
    expect((await root.teams.list({ limit: 100 })).data.length).toBeGreaterThan(0);
    expect(await root.teams.delete(created.id)).toMatchObject({ id: created.id });
  });

  it('creates a read-only key, which may read but not send; a 403 is not retried; deleted keys stop working', async () => {
    const key: ApiKeyCreated = await mailroom.apiKeys.create({ name: 'read only', scopes: ['read'] });
    let requests = 0;
    const reader = new Mailroom({
      apiKey: key.key,
      baseUrl: stack.url,
      fetch: (input, init) => {
        requests++;
        return fetch(input, init);
      },
    });
    expect((await reader.emails.list()).data).toEqual(expect.any(Array));
    requests = 0;
    await expect(reader.emails.send({ from: FROM, to: SUCCESS, subject: 'no', text: 'no' })).rejects.toMatchObject({ status: 403, code: 'insufficient_permissions' });
    expect(requests).toBe(1);

    expect(await mailroom.apiKeys.get(key.id)).toMatchObject({ id: key.id, scopes: ['read'] });
    expect(await mailroom.apiKeys.update(key.id, { name: 'reader' })).toMatchObject({ name: 'reader' });
    expect((await mailroom.apiKeys.list()).data.map((k) => k.id)).toContain(key.id);
    await mailroom.apiKeys.delete(key.id);
    await expect(reader.me()).rejects.toMatchObject({ status: 401 });

    const entries = [];
    for await (const entry of mailroom.auditLog.list({ limit: 100 })) entries.push(entry);
    expect(entries.map((e) => e.action)).toEqual(expect.arrayContaining([expect.stringMatching(/api[-_]key/)]));
  });
});

describe.concurrent('sending', () => {
  it('sends, reads back the typed email, and pages through a list with for await', async () => {
    const tag = `batch:${unique('t')}`;
    const [tagName, tagValue] = tag.split(':') as [string, string];
    const sent: Email[] = [];
    for (let i = 0; i < 3; i++) sent.push(await mailroom.emails.send({ from: FROM, to: SUCCESS, subject: `SDK ${i}`, text: 'Hello', tags: { [tagName]: tagValue } }));
    const email: EmailWithEvents = await mailroom.emails.get(sent[0]!.id);
    expect(email).toMatchObject({ id: sent[0]!.id, subject: 'SDK 0' });

    const first: OperationResult<'emails.list'> = await mailroom.emails.list({ tag, limit: 2 });
    expect(first.data).toHaveLength(2);
    expect(first.next_cursor).toEqual(expect.any(String));
    const all: string[] = [];
    for await (const item of mailroom.emails.list({ tag, limit: 2 })) all.push(item.id);
    expect(all.sort()).toEqual(sent.map((e) => e.id).sort());
  });

  it('replays a send with the same Idempotency-Key instead of sending twice', async () => {
    const tag = `replay:${unique('t')}`;
    const [tagName, tagValue] = tag.split(':') as [string, string];
    const body = { from: FROM, to: SUCCESS, subject: 'Once', text: 'Only once', tags: { [tagName]: tagValue } };
    const idempotencyKey = unique('send');
    const first = await mailroom.emails.send(body, { idempotencyKey });
    const again = await mailroom.emails.send(body, { idempotencyKey });
    expect(again.id).toBe(first.id);
    expect((await mailroom.emails.list({ tag })).data).toHaveLength(1);
    await expect(mailroom.emails.send({ ...body, text: 'Different' }, { idempotencyKey })).rejects.toMatchObject({ status: 409, code: 'idempotency_conflict' });
  });

  it('batches, schedules and cancels', async () => {
    const batch = await mailroom.emails.batch([
      { from: FROM, to: SUCCESS, subject: 'One', text: '1' },
      { from: FROM, to: SUCCESS, subject: 'Two', text: '2' },
    ]);
    expect(batch.data).toHaveLength(2);
    const later = await mailroom.emails.send({ from: FROM, to: SUCCESS, subject: 'Later', text: 'Later', scheduled_at: new Date(Date.now() + 3_600_000).toISOString() });
    expect(later.status).toBe('scheduled');
    expect(await mailroom.emails.cancel(later.id)).toMatchObject({ id: later.id, status: 'canceled' });
  });

  it('templates and suppressions', async () => {
    const template: Template = await mailroom.templates.create({ name: unique('welcome'), subject: 'Hi {{ name }}', html: '<p>Hello {{ name }}</p>' });
    expect(await mailroom.templates.render(template.id, { variables: { name: 'Ann' } })).toMatchObject({ subject: 'Hi Ann' });
    expect(await mailroom.templates.update(template.id, { subject: 'Hey {{ name }}' })).toMatchObject({ subject: 'Hey {{ name }}' });
    expect(await mailroom.templates.get(template.id)).toMatchObject({ id: template.id });
    expect((await mailroom.templates.list()).data.map((t) => t.id)).toContain(template.id);
    await mailroom.templates.delete(template.id);

    const address = `${unique('blocked')}@example.com`;
    expect(await mailroom.suppressions.create({ email: address })).toMatchObject({ email: address });
    expect((await mailroom.suppressions.list({ limit: 100 })).data.map((s) => s.email)).toContain(address);
    expect(await mailroom.suppressions.delete(address)).toMatchObject({ email: address, deleted: true });
  });

  it('domains', async () => {
    const name = `${unique('sdk')}.example.com`;
    const domain = await mailroom.domains.create({ name });
    expect(domain).toMatchObject({ name });
    expect(await mailroom.domains.verify(domain.id)).toMatchObject({ id: domain.id });
    expect(await mailroom.domains.get(domain.id)).toMatchObject({ name });
    expect((await mailroom.domains.list()).data.map((d) => d.id)).toContain(domain.id);
    expect(await mailroom.domains.delete(domain.id)).toMatchObject({ id: domain.id });
  });
});

describe.concurrent('inboxes', () => {
  it('receives mail, reads it, threads it, and answers with send, reply, reply-all and forward', async () => {
    const inbox: InboxCreated = await mailroom.inboxes.create({ username: unique('support'), display_name: 'Support' });
    const agent = new Mailroom({ apiKey: inbox.api_key.key, baseUrl: stack.url });
    expect(await agent.inboxes.get(inbox.id)).toMatchObject({ id: inbox.id, address: inbox.address });
    expect(await mailroom.inboxes.update(inbox.id, { display_name: 'Help desk' })).toMatchObject({ display_name: 'Help desk' });
    expect((await mailroom.inboxes.list({ limit: 100 })).data.map((i) => i.id)).toContain(inbox.id);

    await deliver(inbox.address, 'Where is my order?', 'It has not arrived.');
    const received: InboxMessageSummary = await eventually(async () => (await agent.inboxes.messages.list(inbox.id)).data.find((m) => m.direction === 'inbound'), 20_000, 150);
    const message: InboxMessage = await agent.inboxes.messages.get(inbox.id, received.id);
    expect(message).toMatchObject({ subject: 'Where is my order?', text: expect.stringContaining('It has not arrived.') });
    expect(await agent.inboxes.messages.update(inbox.id, received.id, { read: true, labels: { add: ['orders'] } })).toMatchObject({ read: true, labels: ['orders'] });
    expect(await agent.inboxes.messages.raw(inbox.id, received.id)).toMatchObject({ download_url: expect.stringMatching(/^http/) });

    const reply: InboxSentMessage = await agent.inboxes.messages.reply(inbox.id, received.id, { text: 'It ships today.' });
    expect(reply).toMatchObject({ thread_id: received.thread_id, subject: 'Re: Where is my order?', direction: 'outbound' });
    expect(await agent.inboxes.messages.replyAll(inbox.id, received.id, { text: 'Copying everyone.' })).toMatchObject({ thread_id: received.thread_id });
    expect(await agent.inboxes.messages.forward(inbox.id, received.id, { to: 'warehouse@example.com' })).toMatchObject({ subject: 'Fwd: Where is my order?' });
    const fresh = await agent.inboxes.messages.send(inbox.id, { to: 'someone@example.com', subject: 'New topic', text: 'Hello' });
    expect(fresh.thread_id).not.toBe(received.thread_id);

    const thread: InboxThreadDetail = await agent.inboxes.threads.get(inbox.id, received.thread_id);
    expect(thread).toMatchObject({ id: received.thread_id, message_count: 4 });
    expect((await agent.inboxes.threads.list(inbox.id)).data.map((t) => t.id)).toEqual(expect.arrayContaining([received.thread_id, fresh.thread_id]));
    expect(await mailroom.inboxes.delete(inbox.id)).toMatchObject({ id: inbox.id });
  });
});

describe.concurrent('webhooks', () => {
  it('delivers a signed event that webhooks.verify accepts, and refuses the same request tampered with', async () => {
    const path = `/${unique('hook')}`;
    const webhook: WebhookWithSecret = await mailroom.webhooks.create({ url: `${receiver.url}${path}`, event_types: ['email.sent'] });
    expect(webhook.secret).toMatch(/^whsec_/);
    const attempt = await mailroom.webhooks.test(webhook.id);
    const delivered = await eventually(async () => receiver.at(path)[0], 10_000);

    const event: WebhookEvent = await webhooks.verify(delivered.body, delivered.headers, webhook.secret);
    expect(event.type).toEqual(expect.any(String));
    expect(await mailroom.webhooks.verify(delivered.body, delivered.headers, webhook.secret)).toEqual(event);
    const tampered = delivered.body.replace(/"type":"[^"]+"/, '"type":"email.bounced"');
    expect(tampered).not.toBe(delivered.body);
    await expect(webhooks.verify(tampered, delivered.headers, webhook.secret)).rejects.toThrow(WebhookVerificationError);
    const forged: IncomingHttpHeaders = { ...delivered.headers, 'webhook-timestamp': String(Number(delivered.headers['webhook-timestamp']) - 3600) };
    await expect(webhooks.verify(delivered.body, forged, webhook.secret)).rejects.toThrow(WebhookVerificationError);

    const attempts = await mailroom.webhooks.attempts.list(webhook.id);
    expect(attempts.data.map((a) => a.id)).toContain(attempt.id);
    expect(await mailroom.webhooks.attempts.retry(webhook.id, attempt.id)).toMatchObject({ webhook_id: webhook.id });
    const rotated = await mailroom.webhooks.rotateSecret(webhook.id);
    expect(rotated.secret).not.toBe(webhook.secret);
    expect(await mailroom.webhooks.update(webhook.id, { description: 'SDK test' })).toMatchObject({ description: 'SDK test' });
    expect(await mailroom.webhooks.get(webhook.id)).toMatchObject({ id: webhook.id });
    expect((await mailroom.webhooks.list()).data.map((w) => w.id)).toContain(webhook.id);
    await mailroom.webhooks.delete(webhook.id);
  });
});

describe.concurrent('storage and contact imports', () => {
  it('buckets, presigned uploads, objects under slashed keys, usage, and a CSV import from storage', async () => {
    const bucket: Bucket = await mailroom.buckets.create({ slug: unique('sdk'), visibility: 'private' });
    const csv = 'email,first_name\nimported-a@example.com,Ann\nnot-an-email,Bob\n';
    const upload = await mailroom.buckets.uploads.create(bucket.slug, { key: 'imports/people.csv', size: Buffer.byteLength(csv), content_type: 'text/csv' });
    expect((await fetch(upload.url, { method: 'PUT', headers: upload.headers, body: csv })).status).toBe(200);
    expect(await mailroom.buckets.objects.create(bucket.slug, { key: 'notes/a b.txt', content: Buffer.from('hello').toString('base64'), content_type: 'text/plain' })).toMatchObject({ key: 'notes/a b.txt' });
    const object = await mailroom.buckets.objects.get(bucket.slug, 'notes/a b.txt');
    expect(await (await fetch(object.download_url)).text()).toBe('hello');
    expect((await mailroom.buckets.objects.list(bucket.slug, { prefix: 'notes/' })).data.map((o) => o.key)).toEqual(['notes/a b.txt']);
    expect(await mailroom.storage.usage()).toMatchObject({ used_bytes: expect.any(Number) });

    const job = await mailroom.contacts.imports.create({ bucket: bucket.slug, key: 'imports/people.csv' });
    const finished = await expectEventually(async () => {
      const current = await mailroom.contacts.imports.get(job.id);
      expect(current.status).toBe('completed');
      return current;
    }, 20_000);
    expect(finished.rows).toMatchObject({ created: 1, failed: 1 });
    expect((await mailroom.contacts.imports.errors(job.id)).data).toEqual([expect.objectContaining({ email: 'not-an-email' })]);
    expect((await mailroom.contacts.imports.list()).data.map((j) => j.id)).toContain(job.id);

    expect(await mailroom.buckets.objects.delete(bucket.slug, 'notes/a b.txt')).toMatchObject({ deleted: true });
    expect(await mailroom.buckets.update(bucket.slug, { description: 'SDK' })).toMatchObject({ description: 'SDK' });
    expect(await mailroom.buckets.get(bucket.slug)).toMatchObject({ slug: bucket.slug });
    expect((await mailroom.buckets.list()).data.map((b) => b.slug)).toContain(bucket.slug);
    expect(await mailroom.buckets.delete(bucket.slug, { force: 'true' })).toMatchObject({ slug: bucket.slug });
  });
});

describe.concurrent('audiences', () => {
  it('identify, track, contacts and their timeline, lists and segments', async () => {
    const email = `${unique('ann')}@example.com`;
    const identified = await mailroom.identify({ email, first_name: 'Ann', properties: { plan: 'pro' }, tags: ['sdk'] });
    expect(identified).toMatchObject({ created: true });
    const tracked = await mailroom.track({ email, event: 'signed_up', data: { via: 'sdk' } });
    expect(tracked).toMatchObject({ contact_created: false });

    const contact: Contact = await mailroom.contacts.get(identified.contact.id);
    expect(contact).toMatchObject({ email, first_name: 'Ann', tags: ['sdk'] });
    expect(await mailroom.contacts.update(contact.id, { last_name: 'Lee' })).toMatchObject({ last_name: 'Lee' });
    expect((await mailroom.contacts.list({ property: 'plan:pro' })).data.map((c) => c.id)).toContain(contact.id);
    expect((await mailroom.contacts.events.list(contact.id)).data.map((e) => e.event)).toContain('signed_up');

    const list = await mailroom.lists.create({ name: unique('news') });
    expect(await mailroom.lists.subscribe(list.id, { contact_id: contact.id })).toMatchObject({ status: 'subscribed' });
    expect((await mailroom.lists.members(list.id)).data.map((m) => m.contact_id)).toContain(contact.id);
    expect(await mailroom.lists.unsubscribe(list.id, contact.id)).toMatchObject({ status: 'unsubscribed' });
    expect(await mailroom.lists.update(list.id, { description: 'Weekly' })).toMatchObject({ description: 'Weekly' });
    expect(await mailroom.lists.get(list.id)).toMatchObject({ id: list.id });
    expect((await mailroom.lists.list()).data.map((l) => l.id)).toContain(list.id);
    await mailroom.lists.delete(list.id);

    const segment = await mailroom.segments.create({ name: unique('pro'), filter: { type: 'property', key: 'plan', op: 'eq', value: 'pro' } });
    expect((await mailroom.segments.contacts(segment.id)).data.map((c) => c.id)).toContain(contact.id);
    expect(await mailroom.segments.update(segment.id, { description: 'Pro plan' })).toMatchObject({ description: 'Pro plan' });
    expect(await mailroom.segments.get(segment.id)).toMatchObject({ id: segment.id });
    expect((await mailroom.segments.list()).data.map((s) => s.id)).toContain(segment.id);
    await mailroom.segments.delete(segment.id);

    expect(await mailroom.contacts.delete(contact.id, { erase: 'true' })).toMatchObject({ id: contact.id });
    await expect(mailroom.contacts.get(contact.id)).rejects.toMatchObject({ status: 404 });
  });

  it('campaigns: create, launch, a test event enrols, enrolments, stats, pause, resume and archive; conversions and team stats', async () => {
    const template = await mailroom.templates.create({ name: unique('onboarding'), subject: 'Welcome', html: '<p>Welcome {{ first_name }}</p>' });
    const event = unique('joined').replace(/-/g, '_');
    const campaign: Campaign = await mailroom.campaigns.create({ kind: 'triggered', name: unique('Onboarding'), trigger: { event }, steps: [{ type: 'send', template_id: template.id, from: FROM }] });
    expect(await mailroom.campaigns.update(campaign.id, { name: 'Onboarding (SDK)' })).toMatchObject({ name: 'Onboarding (SDK)' });
    expect(await mailroom.campaigns.launch(campaign.id)).toMatchObject({ status: 'active' });
    const email = `${unique('bob')}@example.com`;
    expect(await mailroom.campaigns.testEvents.create(campaign.id, { email })).toMatchObject({ enrolled: true });
    const enrolments = await expectEventually(async () => {
      const page = await mailroom.campaigns.enrollments.list(campaign.id);
      expect(page.data).toHaveLength(1);
      return page.data;
    });
    expect(enrolments[0]).toMatchObject({ campaign_id: campaign.id });
    const stats: StatsReport = await mailroom.campaigns.stats(campaign.id);
    expect(stats).toMatchObject({ totals: expect.any(Object) });
    expect(await mailroom.campaigns.pause(campaign.id)).toMatchObject({ status: 'paused' });
    expect(await mailroom.campaigns.resume(campaign.id)).toMatchObject({ status: 'active' });
    expect(await mailroom.campaigns.archive(campaign.id)).toMatchObject({ status: 'archived' });
    expect(await mailroom.campaigns.get(campaign.id)).toMatchObject({ status: 'archived' });
    expect((await mailroom.campaigns.list()).data.map((c) => c.id)).toContain(campaign.id);

    const conversion = await mailroom.conversions.create({ email, revenue: 49.5, currency: 'EUR', order_id: unique('order') });
    expect(conversion).toMatchObject({ revenue: 49.5, currency: 'EUR' });
    expect(await mailroom.stats.get()).toMatchObject({ totals: expect.any(Object) });
  });
});

/** A front for the stack that scripts the answer to each request (by 1-based number) or forwards it. */
async function startFront(script: (n: number) => 'forward' | 'drop' | { status: number; code?: string; headers?: Record<string, string> }) {
  const seen: Array<{ at: number; method: string; idempotencyKey: string | undefined }> = [];
  const target = new URL(stack.url);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      seen.push({ at: Date.now(), method: req.method!, idempotencyKey: req.headers['idempotency-key'] as string | undefined });
      const action = script(seen.length);
      if (action === 'drop') return void req.socket.destroy();
      if (action !== 'forward') {
        res.writeHead(action.status, { 'content-type': 'application/json', ...action.headers });
        const code = action.code ?? (action.status === 429 ? 'rate_limit_exceeded' : 'service_unavailable');
        return void res.end(JSON.stringify({ error: { code, message: 'injected', retryable: true }, request_id: 'req_injected' }));
      }
      const upstream = httpRequest({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode!, answer.headers);
        answer.pipe(res);
      });
      upstream.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, seen, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe.concurrent('retries', () => {
  it('waits out a 429 with Retry-After: 1, then sends once, with the same Idempotency-Key', async () => {
    const front = await startFront((n) => (n === 1 ? { status: 429, headers: { 'retry-after': '1' } } : 'forward'));
    try {
      const client = new Mailroom({ apiKey: adminKey, baseUrl: front.url });
      const tag = `retry:${unique('t')}`;
      const [tagName, tagValue] = tag.split(':') as [string, string];
      const email = await client.emails.send({ from: FROM, to: SUCCESS, subject: 'Retried', text: 'Once', tags: { [tagName]: tagValue } });
      expect(email.status).toBe('queued');
      expect(front.seen).toHaveLength(2);
      expect(front.seen[1]!.at - front.seen[0]!.at).toBeGreaterThanOrEqual(1000);
      expect(front.seen[1]!.at - front.seen[0]!.at).toBeLessThan(5000);
      expect(front.seen[0]!.idempotencyKey).toEqual(expect.any(String));
      expect(front.seen[1]!.idempotencyKey).toBe(front.seen[0]!.idempotencyKey);
      expect((await mailroom.emails.list({ tag })).data.map((e) => e.id)).toEqual([email.id]);
    } finally {
      await front.close();
    }
  });

  it('retries a 503 and a dropped connection with backoff, up to three attempts in all', async () => {
    const front = await startFront((n) => (n === 1 ? { status: 503 } : n === 2 ? 'drop' : 'forward'));
    try {
      const client = new Mailroom({ apiKey: adminKey, baseUrl: front.url });
      expect(await client.me()).toMatchObject({ kind: 'team' });
      expect(front.seen).toHaveLength(3);
    } finally {
      await front.close();
    }
    const failing = await startFront(() => ({ status: 503 }));
    try {
      const client = new Mailroom({ apiKey: adminKey, baseUrl: failing.url });
      await expect(client.me()).rejects.toMatchObject({ status: 503, code: 'service_unavailable', retryable: true });
      expect(failing.seen).toHaveLength(3);
    } finally {
      await failing.close();
    }
  });

  it('retries a 409 idempotency_conflict (the first request with the key still running) with the same key', async () => {
    const front = await startFront((n) => (n === 1 ? { status: 409, code: 'idempotency_conflict', headers: { 'retry-after': '1' } } : 'forward'));
    try {
      const client = new Mailroom({ apiKey: adminKey, baseUrl: front.url });
      const idempotencyKey = unique('in-flight');
      expect(await client.emails.send({ from: FROM, to: SUCCESS, subject: 'In flight', text: 'Once' }, { idempotencyKey })).toMatchObject({ status: 'queued' });
      expect(front.seen.map((s) => s.idempotencyKey)).toEqual([idempotencyKey, idempotencyKey]);
    } finally {
      await front.close();
    }
  });

  it('sends a POST that is not idempotent again only after a 429, never after a 503 or a dropped connection', async () => {
    const missing = 'em_00000000000000000000000000';
    for (const answer of [{ status: 503 }, 'drop'] as const) {
      const front = await startFront(() => answer);
      try {
        const client = new Mailroom({ apiKey: adminKey, baseUrl: front.url });
        await expect(client.emails.cancel(missing)).rejects.toMatchObject({ retryable: true });
        expect(front.seen.map((s) => s.method)).toEqual(['POST']);
      } finally {
        await front.close();
      }
    }
    const limited = await startFront((n) => (n === 1 ? { status: 429, headers: { 'retry-after': '0' } } : 'forward'));
    try {
      const client = new Mailroom({ apiKey: adminKey, baseUrl: limited.url });
      await expect(client.emails.cancel(missing)).rejects.toMatchObject({ status: 404, code: 'not_found' });
      expect(limited.seen.map((s) => s.method)).toEqual(['POST', 'POST']);
    } finally {
      await limited.close();
    }
  });

  it('never retries a 4xx other than 429', async () => {
    const front = await startFront(() => 'forward');
    try {
      const client = new Mailroom({ apiKey: adminKey, baseUrl: front.url });
      await expect(client.emails.get('em_00000000000000000000000000')).rejects.toMatchObject({ status: 404 });
      expect(front.seen).toHaveLength(1);
    } finally {
      await front.close();
    }
  });
});
