/**
 * Fault injection in the local SES front (local/ses-front.ts): throttling, 5xx and held calls for the next
 * SendEmail calls that match, and the log of calls it received. Every fault here names its own recipient, so
 * sends of tests running beside this file are never affected.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { SendEmailCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { LOCAL_AWS } from '../../local/aws-env.js';
import { endpoints } from '../support/local-stack.js';
import { eventually } from '../support/http.js';
import { sesFrontAt } from '../support/ses-front.js';

const front = endpoints().ses;
// One attempt per call: the tests count what the front received, not what the SDK's retries add.
const ses = new SESv2Client({ endpoint: front, ...LOCAL_AWS, maxAttempts: 1 });
afterAll(() => ses.destroy());

const recipient = (label: string) => `${label}-${randomUUID().slice(0, 8)}@example.com`;

function send(to: string, subject: string, abortSignal?: AbortSignal) {
  return ses.send(
    new SendEmailCommand({
      FromEmailAddress: 'faults@mailroom.test',
      Destination: { ToAddresses: [to] },
      Content: { Simple: { Subject: { Data: subject }, Body: { Text: { Data: 'x' } } } },
    }),
    { abortSignal },
  );
}

async function admin(method: string, path: string, body?: unknown) {
  const res = await fetch(`${front}${path}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as any };
}

const { calls: callsTo, timesSent: timesCaptured } = sesFrontAt(() => front);

describe('SES front faults', () => {
  it('throttles the next N matching calls with 429 TooManyRequestsException, then accepts; other recipients are untouched', async () => {
    const to = recipient('throttled');
    const bystander = recipient('bystander');
    const added = await admin('POST', '/_mailroom/faults', { fault: 'throttle', count: 2, recipient: to });
    expect(added).toMatchObject({ status: 200, body: { id: expect.any(String), fault: 'throttle', count: 2, recipient: to } });

    await expect(send(bystander, 'bystander')).resolves.toMatchObject({ MessageId: expect.any(String) });
    for (let i = 0; i < 2; i++) {
      await expect(send(to, 'throttled')).rejects.toMatchObject({ name: 'TooManyRequestsException', $metadata: { httpStatusCode: 429 } });
    }
    const accepted = await send(to, 'throttled');

    expect(await callsTo(to)).toEqual([
      expect.objectContaining({ fault: 'throttle', status: 'refused', answered: true }),
      expect.objectContaining({ fault: 'throttle', status: 'refused', answered: true }),
      expect.objectContaining({ status: 'accepted', answered: true, messageId: accepted.MessageId, destination: [to] }),
    ]);
    expect((await callsTo(bystander)).map((c) => c.status)).toEqual(['accepted']);
  });

  it('answers a 5xx InternalFailure that the SDK sees as a server fault', async () => {
    const to = recipient('five-hundred');
    await admin('POST', '/_mailroom/faults', { fault: 'server_error', recipient: to });
    await expect(send(to, 'five hundred')).rejects.toMatchObject({ name: 'InternalFailure', $fault: 'server', $metadata: { httpStatusCode: 500 } });
    await expect(send(to, 'five hundred')).resolves.toMatchObject({ MessageId: expect.any(String) });
  });

  it('holds a call before SES sees it until the faults are cleared, then sends it', async () => {
    const to = recipient('held');
    const subject = `held ${to}`;
    const fault = (await admin('POST', '/_mailroom/faults', { fault: 'hang', recipient: to })).body;
    const pending = send(to, subject);
    await eventually(async () => (await callsTo(to))[0]?.status === 'pending', 5000);
    expect(await timesCaptured(subject)).toBe(0);
    expect((await admin('GET', '/_mailroom/faults')).body.held).toBeGreaterThanOrEqual(1);

    // Used up but still holding its call: clearing it lets the call go on.
    expect(await admin('DELETE', `/_mailroom/faults/${fault.id}`)).toEqual({ status: 200, body: { cleared: 0, released: 1 } });
    await expect(pending).resolves.toMatchObject({ MessageId: expect.any(String) });
    expect((await admin('DELETE', `/_mailroom/faults/${fault.id}`)).status).toBe(404);
    expect(await timesCaptured(subject)).toBe(1);
    expect(await callsTo(to)).toEqual([expect.objectContaining({ fault: 'hang', status: 'accepted', answered: true })]);
  });

  it('drops a held call whose caller gave up: SES never gets it', async () => {
    const to = recipient('abandoned');
    const subject = `abandoned ${to}`;
    await admin('POST', '/_mailroom/faults', { fault: 'hang', recipient: to });
    const abort = new AbortController();
    const pending = send(to, subject, abort.signal);
    await eventually(async () => (await callsTo(to))[0]?.status === 'pending', 5000);
    abort.abort();
    await expect(pending).rejects.toThrow();
    await eventually(async () => (await callsTo(to))[0]?.status === 'dropped', 5000);
    expect(await timesCaptured(subject)).toBe(0);
  });

  it('hang_after_accept: SES captures the mail, the caller never hears back', async () => {
    const to = recipient('unanswered');
    const subject = `unanswered ${to}`;
    await admin('POST', '/_mailroom/faults', { fault: 'hang_after_accept', recipient: to });
    const abort = new AbortController();
    const pending = send(to, subject, abort.signal);
    const [call] = await eventually(async () => {
      const calls = await callsTo(to);
      return calls[0]?.status === 'accepted' && calls;
    }, 5000);
    expect(call).toMatchObject({ answered: false, messageId: expect.any(String) });
    expect(await timesCaptured(subject)).toBe(1);
    abort.abort();
    await expect(pending).rejects.toThrow();
    expect((await callsTo(to))[0]).toMatchObject({ status: 'accepted', answered: false });
  });

  it('drop_after_accept: SES captures the mail, then the connection breaks instead of the answer', async () => {
    const to = recipient('dropped');
    const subject = `dropped ${to}`;
    await admin('POST', '/_mailroom/faults', { fault: 'drop_after_accept', recipient: to });
    await expect(send(to, subject)).rejects.toMatchObject({ name: expect.not.stringMatching(/Exception$/) });
    expect(await timesCaptured(subject)).toBe(1);
    expect(await callsTo(to)).toEqual([expect.objectContaining({ fault: 'drop_after_accept', status: 'accepted', answered: false })]);
  });

  it('refuses a malformed fault', async () => {
    const res = await admin('POST', '/_mailroom/faults', { fault: 'explode' });
    expect(res.status).toBe(400);
    expect((await admin('POST', '/_mailroom/faults', { fault: 'throttle', count: 0 })).status).toBe(400);
  });
});
