/**
 * Sending end to end on the local stack: API → send queue → sender worker → SES (emulator) → SES events
 * (local SES front, driven by the mailbox-simulator addresses) → events worker → status and timeline.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../../functions/shared/clients.js';
import { call, createTeam, endpoints, startLocalStack, type LocalStack } from '../support/local-stack.js';
import { expectEventually } from '../support/http.js';
import { withEnv } from '../support/env.js';

let stack: LocalStack;
let key: string;
const FROM = 'Mailroom Tests <hello@mailroom.test>';
const SIM = (local: string) => `${local}@simulator.amazonses.com`;

beforeAll(async () => {
  stack = await startLocalStack();
  ({ adminKey: key } = await createTeam(stack, 'emails'));
});
afterAll(() => stack.stop());

const send = (body: object, headers: Record<string, string> = {}) => call(stack.url, 'POST', '/v1/emails', { key, body, headers });
const get = (id: string) => call(stack.url, 'GET', `/v1/emails/${id}`, { key });

async function captured(subject: string) {
  const store = (await (await fetch(`${endpoints().ses}/store`)).json()) as { emails: unknown[] };
  return (store.emails as { subject: string; body: { text?: string; html?: string }; attachments: { filename?: string; contentType: string; content: string }[]; destination: { to: string[] } }[]).find(
    (e) => e.subject === subject,
  );
}

describe('POST /v1/emails', () => {
  it('sends through SES and follows the delivery events to delivered, with a timeline', async () => {
    const subject = `Welcome ${Date.now()}`;
    const res = await send({
      from: FROM,
      to: [{ email: SIM('success'), name: 'Success Person' }],
      subject,
      html: '<h1>Hello</h1><p>Welcome aboard.</p>',
      headers: { 'X-Campaign': 'welcome' },
      tags: { category: 'welcome' },
      attachments: [{ filename: 'hello.txt', content: Buffer.from('hello attachment').toString('base64'), content_type: 'text/plain' }],
    });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body).toMatchObject({ id: expect.stringMatching(/^em_/), status: 'queued', recipients: [{ email: SIM('success'), type: 'to', status: 'queued', reason: null }] });

    // Send and Delivery can arrive in one batch and be applied concurrently: wait for the whole timeline.
    const delivered = await expectEventually(async () => {
      const email = await get(res.body.id);
      expect(email.body.status).toBe('delivered');
      expect(email.body.events.map((e: { type: string }) => e.type)).toEqual(['queued', 'sent', 'delivered']);
      expect(email.body.recipients[0]).toMatchObject({ email: SIM('success'), status: 'delivered' });
      return email.body;
    });
    expect(delivered.ses_message_id).toEqual(expect.any(String));

    const mail = await captured(subject);
    expect(mail).toBeDefined();
    expect(mail!.body.text).toContain('Welcome aboard.');
    expect(mail!.body.html).toContain('<h1>Hello</h1>');
    expect(mail!.attachments).toEqual([expect.objectContaining({ filename: 'hello.txt', contentType: 'text/plain', content: Buffer.from('hello attachment').toString('base64') })]);
  });

  it('a hard bounce marks the email bounced and suppresses the address; the next send drops it as suppressed', async () => {
    const res = await send({ from: FROM, to: SIM('bounce'), subject: 'Bounce me', text: 'hi' });
    expect(res.status).toBe(202);
    await expectEventually(async () => {
      expect((await get(res.body.id)).body.status).toBe('bounced');
      const suppressions = await call(stack.url, 'GET', '/v1/suppressions', { key });
      expect(suppressions.body.data).toContainEqual(expect.objectContaining({ email: SIM('bounce'), reason: 'hard_bounce', source_email_id: res.body.id }));
    });

    const again = await send({ from: FROM, to: [SIM('bounce'), SIM('success')], subject: 'Again', text: 'hi' });
    expect(again.status).toBe(202);
    expect(again.body.recipients).toEqual([
      { email: SIM('bounce'), type: 'to', status: 'suppressed', reason: 'suppressed' },
      { email: SIM('success'), type: 'to', status: 'queued', reason: null },
    ]);
    const allSuppressed = await send({ from: FROM, to: SIM('bounce'), subject: 'Nope', text: 'hi' });
    expect(allSuppressed.status).toBe(422);
    expect(allSuppressed.body.error).toMatchObject({ code: 'all_recipients_suppressed', recipients: [{ email: SIM('bounce'), status: 'suppressed' }] });
  });

  it('a complaint marks the email complained and suppresses the address', async () => {
    const res = await send({ from: FROM, to: SIM('complaint'), subject: 'Complain', text: 'hi' });
    await expectEventually(async () => {
      expect((await get(res.body.id)).body.status).toBe('complained');
      const list = await call(stack.url, 'GET', '/v1/suppressions', { key });
      expect(list.body.data).toContainEqual(expect.objectContaining({ email: SIM('complaint'), reason: 'complaint' }));
    });
  });

  it('rejects a from address outside the team’s verified domains and the default domain', async () => {
    const res = await send({ from: 'someone@not-verified.example', to: SIM('success'), subject: 'x', text: 'x' });
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({ code: 'validation_error', param: 'from' });
  });

  it('lists emails newest first with status, tag and recipient filters', async () => {
    const tag = `t${Date.now()}`;
    const first = await send({ from: FROM, to: SIM('success'), subject: 'one', text: '1', tags: { batch: tag } });
    const second = await send({ from: FROM, to: SIM('ooto'), subject: 'two', text: '2', tags: { batch: tag } });
    const byTag = await call(stack.url, 'GET', `/v1/emails?tag=batch:${tag}`, { key });
    expect(byTag.body.data.map((e: { id: string }) => e.id)).toEqual([second.body.id, first.body.id]);
    const byRecipient = await call(stack.url, 'GET', `/v1/emails?tag=batch:${tag}&recipient=${encodeURIComponent(SIM('ooto'))}`, { key });
    expect(byRecipient.body.data.map((e: { id: string }) => e.id)).toEqual([second.body.id]);
    await expectEventually(async () => expect((await get(first.body.id)).body.status).toBe('delivered'), 15_000);
    const delivered = await call(stack.url, 'GET', `/v1/emails?tag=batch:${tag}&status=delivered`, { key });
    expect(delivered.body.data.map((e: { id: string }) => e.id)).toContain(first.body.id);
    expect((await call(stack.url, 'GET', `/v1/emails?tag=batch:${tag}&status=bounced`, { key })).body.data).toEqual([]);
    // A time range is a key range on the time-sortable ids: from the second email's creation on.
    const since = encodeURIComponent(second.body.created_at);
    const recent = await call(stack.url, 'GET', `/v1/emails?tag=batch:${tag}&since=${since}`, { key });
    expect(recent.body.data.map((e: { id: string }) => e.id)).toEqual([second.body.id]);
    const until = encodeURIComponent(new Date(Date.parse(first.body.created_at) - 1000).toISOString());
    expect((await call(stack.url, 'GET', `/v1/emails?tag=batch:${tag}&until=${until}`, { key })).body.data).toEqual([]);
  });

  it('pages a status filter that drops emails across page boundaries without skipping or repeating one', async () => {
    const tag = `p${Date.now()}`;
    // Scheduled far ahead, so nothing but the cancels below moves them: newest first they are k c k k c c k c k.
    const scheduled_at = new Date(Date.now() + 86_400_000).toISOString();
    const kept: string[] = [];
    for (const cancel of [false, true, false, true, true, false, false, true, false]) {
      const res = await send({ from: FROM, to: SIM('success'), subject: 'paged', text: 'x', tags: { batch: tag }, scheduled_at });
      expect(res.status).toBe(202);
      if (cancel) expect((await call(stack.url, 'POST', `/v1/emails/${res.body.id}/cancel`, { key })).status).toBe(200);
      else kept.unshift(res.body.id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { status: number; body: { data: { id: string; status: string }[]; next_cursor: string | null } } = await call(
        stack.url,
        'GET',
        `/v1/emails?tag=batch:${tag}&status=scheduled&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        { key },
      );
      expect(page.status).toBe(200);
      expect(page.body.data.length).toBeLessThanOrEqual(2);
      expect(page.body.data.every((email) => email.status === 'scheduled')).toBe(true);
      seen.push(...page.body.data.map((email) => email.id));
      cursor = page.body.next_cursor;
      pages++;
    } while (cursor && pages < 10);
    expect(seen).toEqual(kept);
    // Full pages while emails remain: the filter's drops never leave a short page in the middle.
    expect(pages).toBeLessThanOrEqual(Math.ceil(kept.length / 2) + 1);
  });

  it('a status write costs one write unit: the team list index copies nothing that changes', async () => {
    const res = await send({ from: FROM, to: SIM('success'), subject: 'units', text: 'x', scheduled_at: new Date(Date.now() + 86_400_000).toISOString() });
    const { ConsumedCapacity } = await documentClient.send(
      new UpdateCommand({
        TableName: process.env.TABLE_NAME,
        Key: { pk: `EMAIL#${res.body.id}`, sk: 'EMAIL' },
        UpdateExpression: 'SET #status = :status, status_rank = status_rank, updated_at = :now',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':status': 'scheduled', ':now': new Date().toISOString() },
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    expect(ConsumedCapacity?.CapacityUnits).toBe(1);
  });
});

describe('the email item', () => {
  it('stays under 1 KB through delivery for a typical email, so every write of its life costs one unit', async () => {
    const res = await send({
      from: 'Acme Billing <hello@mailroom.test>',
      to: SIM('success'),
      subject: 'Your receipt for order #48213 from Acme Inc.',
      text: 'x',
      tags: { category: 'receipt' },
    });
    expect(res.status).toBe(202);
    await expectEventually(async () => expect((await call(stack.url, 'GET', `/v1/emails/${res.body.id}`, { key })).body.status).toBe('delivered'));
    // SES's real message ids are 60 characters; the local one is shorter.
    const { ConsumedCapacity } = await documentClient.send(
      new UpdateCommand({
        TableName: process.env.TABLE_NAME,
        Key: { pk: `EMAIL#${res.body.id}`, sk: 'EMAIL' },
        UpdateExpression: 'SET ses_message_id = :id',
        ExpressionAttributeValues: { ':id': '0100019a8c4e2f1b-5d7e9a3c-1b2d-4e6f-8a0c-2e4f6a8c0e2f-000000' },
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    expect(ConsumedCapacity?.CapacityUnits).toBe(1);
  });
});

describe('scheduled sends', () => {
  it('holds a scheduled email until canceled; a canceled email is never sent', async () => {
    const at = new Date(Date.now() + 2000).toISOString();
    const subject = `Later ${Date.now()}`;
    const res = await send({ from: FROM, to: SIM('success'), subject, text: 'later', scheduled_at: at });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ status: 'scheduled', scheduled_at: at });
    const canceled = await call(stack.url, 'POST', `/v1/emails/${res.body.id}/cancel`, { key });
    expect(canceled.status).toBe(200);
    expect(canceled.body.status).toBe('canceled');
    const again = await call(stack.url, 'POST', `/v1/emails/${res.body.id}/cancel`, { key });
    expect(again.status).toBe(409);
    // Past its due time (and a sender pass over its queued message), it is still canceled and never reached SES.
    await new Promise((resolve) => setTimeout(resolve, 4000));
    expect((await get(res.body.id)).body.status).toBe('canceled');
    expect(await captured(subject)).toBeUndefined();
  });

  it('sends a scheduled email when it is due', async () => {
    const res = await send({ from: FROM, to: SIM('success'), subject: 'Soon', text: 'soon', scheduled_at: new Date(Date.now() + 2000).toISOString() });
    expect(res.body.status).toBe('scheduled');
    await expectEventually(async () => expect((await get(res.body.id)).body.status).toBe('delivered'), 15_000);
  });
});

describe('headers on the wire', () => {
  it('carries our id, custom headers and one-click unsubscribe headers (RFC 8058)', async () => {
    const res = await send({ from: FROM, to: SIM('success'), subject: 'Newsletter', html: '<p>news</p>', headers: { 'X-Campaign': 'nov' }, list_unsubscribe: true });
    expect(res.status).toBe(202);
    const sesId = await expectEventually(async () => {
      const email = await get(res.body.id);
      expect(email.body.ses_message_id).toEqual(expect.any(String));
      return email.body.ses_message_id as string;
    });
    const sent = (await (await fetch(`${endpoints().ses}/_mailroom/messages/${sesId}`)).json()) as { mail: { headers: { name: string; value: string }[] } };
    const header = (name: string) => sent.mail.headers.find((h) => h.name.toLowerCase() === name.toLowerCase())?.value;
    expect(header('X-Mailroom-Email-Id')).toBe(res.body.id);
    expect(header('X-Campaign')).toBe('nov');
    expect(header('List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');
    const link = /^<(.+)>$/.exec(header('List-Unsubscribe') ?? '')?.[1];
    expect(link).toMatch(new RegExp(`^${stack.url}/v1/unsubscribe/`));

    // A mail client's one-click POST suppresses the recipient for this team.
    const click = await fetch(link!, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
    expect(click.status).toBe(200);
    const list = await call(stack.url, 'GET', '/v1/suppressions', { key });
    expect(list.body.data).toContainEqual(expect.objectContaining({ email: SIM('success'), reason: 'unsubscribe', source_email_id: res.body.id }));
    await call(stack.url, 'DELETE', `/v1/suppressions/${encodeURIComponent(SIM('success'))}`, { key });
  });
});

describe('robustness', () => {
  it('canceling a scheduled email gives its recipients back to the quota', async () => {
    const { team, adminKey } = await createTeam(stack, 'cancel-quota');
    expect((await call(stack.url, 'PATCH', `/v1/teams/${team.id}`, { key: stack.rootKey, body: { daily_quota: 1 } })).status).toBe(200);
    const body = { from: FROM, to: SIM('success'), subject: 'Quota', text: 'x' };
    const later = await call(stack.url, 'POST', '/v1/emails', { key: adminKey, body: { ...body, scheduled_at: new Date(Date.now() + 3600_000).toISOString() } });
    expect(later.status).toBe(202);
    expect((await call(stack.url, 'POST', '/v1/emails', { key: adminKey, body })).status).toBe(429);
    expect((await call(stack.url, 'POST', `/v1/emails/${later.body.id}/cancel`, { key: adminKey })).status).toBe(200);
    expect((await call(stack.url, 'POST', '/v1/emails', { key: adminKey, body })).status).toBe(202);
  });

  it('when the send queue refuses, the email is recorded as failed (never stuck queued) and the caller gets 503', async () => {
    await withEnv({ SEND_QUEUE_URL: `${process.env.SEND_QUEUE_URL}-does-not-exist` }, async () => {
      const res = await send({ from: FROM, to: SIM('success'), subject: `Queue down ${Date.now()}`, text: 'x' });
      expect(res.status).toBe(503);
      expect(res.body.error).toMatchObject({ code: 'service_unavailable', retryable: true });
      expect(res.headers.get('retry-after')).toBe('1');
    });
    const failed = await call(stack.url, 'GET', '/v1/emails?status=failed', { key });
    expect(failed.body.data[0]).toMatchObject({ status: 'failed', error: { code: 'queue_unavailable' } });
  });
});
