/**
 * SES misbehaving under the real sender and send queue: throttling that passes, a connection that breaks after
 * SES accepted the mail, and 5xx answers until the queue gives up. Nothing is sent twice, and an email SES never took ends `failed` with a reason that a redrive does
 * not undo. The send queue backs off from 1 s instead of 5 s; everything else is as deployed.
 */
import { randomUUID } from 'node:crypto';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTeam } from '../support/local-stack.js';
import { expectEventually } from '../support/http.js';
import { getEmail, queueAndDlqDepth, redrive, sendEmail, startFaultStack, type FaultStack } from './support/fault-stack.js';
import { sesFront } from '../support/ses-front.js';

vi.mock('../../lib/queues.js', (importOriginal) =>
  import('./support/queue-changes.js').then(({ queuesWith }) => queuesWith(importOriginal, { send: { backoff: { baseSeconds: 1, maxSeconds: 1 } } })),
);

let stack: FaultStack;
let key: string;

beforeAll(async () => {
  stack = await startFaultStack({ label: 'ses', consumers: ['send', 'ses-events'] });
  key = (await createTeam(stack, 'ses-faults')).adminKey;
});
afterAll(() => stack?.stop());

const send = (to: string, subject: string) => sendEmail(stack, key, to, subject);
const email = (id: string) => getEmail(stack, key, id);
const sendQueuesEmpty = async () => (await queueAndDlqDepth(stack.sqs, stack.queue('send'))) === 0;

describe('SES faults', () => {
  it('throttling (429) that passes: the email is sent exactly once, after the calls SES refused', async () => {
    const to = `throttled-${randomUUID().slice(0, 8)}@example.com`;
    const subject = `Throttled ${to}`;
    const fault = await sesFront.inject('throttle', to, 3);
    const id = await send(to, subject);

    const sent = await expectEventually(async () => {
      const got = await email(id);
      expect(got.status).toMatch(/^(sent|delivered)$/);
      return got;
    }, 30_000);
    const calls = await sesFront.calls(to);
    expect(calls.map((c) => c.status)).toEqual(['refused', 'refused', 'refused', 'accepted']);
    expect(calls.slice(0, 3).every((c) => c.fault === 'throttle')).toBe(true);
    expect(sent.ses_message_id).toBe(calls[3]!.messageId);
    expect(await sesFront.timesSent(subject)).toBe(1);
    expect(JSON.stringify(sent.events)).not.toContain('failed');
    await expectEventually(async () => expect(await sendQueuesEmpty()).toBe(true));
    await sesFront.clear(fault);
  });

  it('a connection that breaks after SES accepted the mail: the email is sent once all the same', async () => {
    const to = `dropped-${randomUUID().slice(0, 8)}@example.com`;
    const subject = `Dropped ${to}`;
    await sesFront.inject('drop_after_accept', to);
    const id = await send(to, subject);

    // SES has the mail: its events complete the record even though the sender never got the answer.
    await expectEventually(async () => expect((await email(id)).status).toMatch(/^(sent|delivered)$/), 30_000);
    await expectEventually(async () => expect(await sendQueuesEmpty()).toBe(true), 15_000);
    expect((await sesFront.calls(to)).filter((c) => c.status === 'accepted')).toHaveLength(1);
    expect(await sesFront.timesSent(subject)).toBe(1);
  });

  it('5xx until the queue gives up: failed with a reason, never sent; a redriven copy of its job does not send it', async () => {
    const to = `broken-${randomUUID().slice(0, 8)}@example.com`;
    const subject = `Broken ${to}`;
    const fault = await sesFront.inject('server_error', to, 1000);
    const id = await send(to, subject);

    const failed = await expectEventually(async () => {
      const got = await email(id);
      expect(got.status).toBe('failed');
      // The timeline's entry is written right after the status.
      expect(got.events).toContainEqual(expect.objectContaining({ type: 'failed' }));
      return got;
    }, 60_000);
    expect(failed.error).toEqual({ code: 'send_retries_exhausted', message: expect.stringMatching(/^SES did not accept the email after 8 attempts: /) });
    const calls = await sesFront.calls(to);
    // At least one call per delivery of the message; SES accepted none.
    expect(calls.length).toBeGreaterThanOrEqual(8);
    expect(calls.every((c) => c.status === 'refused' && c.fault === 'server_error')).toBe(true);
    expect(await sesFront.timesSent(subject)).toBe(0);
    // The last delivery recorded the failure and was acknowledged: nothing is left in the queue or its DLQ.
    await expectEventually(async () => expect(await sendQueuesEmpty()).toBe(true));

    // SES works again. A copy of the email's job in the DLQ (as a crash past the last attempt would leave it) is
    // redriven: it is consumed, and the failed email stays failed, not sent.
    await sesFront.clear(fault);
    const job = stack.received('send').findLast((body) => JSON.parse(body).email_id === id)!;
    await stack.sqs.send(new SendMessageCommand({ QueueUrl: stack.queue('send').dlqUrl, MessageBody: job }));
    const consumedBefore = stack.received('send').length;
    const moved = await redrive(stack, 'send');
    expect(moved, moved.stderr).toMatchObject({ code: 0, stdout: expect.stringContaining('send: 1 message(s) moved') });
    await expectEventually(async () => {
      expect(stack.received('send').length).toBe(consumedBefore + 1);
      expect(await sendQueuesEmpty()).toBe(true);
    }, 15_000);
    expect(await email(id)).toMatchObject({ status: 'failed', error: failed.error });
    expect(await sesFront.calls(to)).toHaveLength(calls.length);
    expect(await sesFront.timesSent(subject)).toBe(0);
  });
});
