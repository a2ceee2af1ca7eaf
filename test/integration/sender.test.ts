/**
 * The sender never sends an email twice: not when its queue message is redelivered after a successful
 * send, and not when it crashed between SES accepting the message and recording that.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { LOCAL_AWS } from '../../local/aws-env.js';
import { SendJob } from '../../functions/domain/send-queue.js';
import { documentClient } from '../../functions/shared/clients.js';
import { deliverEmail } from '../../functions/domain/deliver-email.js';
import { applySesEvent } from '../../functions/domain/ses-events.js';
import { call, createTeam, endpoints, startLocalStack, type LocalStack } from '../support/local-stack.js';
import { sesFront } from '../support/ses-front.js';

const crash = vi.hoisted(() => ({ afterSesAccepted: 0, emailStoredAnswerLost: 0 }));
vi.mock('../../functions/repositories/emails.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../functions/repositories/emails.js')>();
  return {
    ...original,
    recordSent: async (...args: Parameters<typeof original.recordSent>) => {
      if (crash.afterSesAccepted > 0) {
        crash.afterSesAccepted--;
        throw new Error('process died after SES accepted the message');
      }
      return original.recordSent(...args);
    },
    createEmail: async (...args: Parameters<typeof original.createEmail>) => {
      const stored = await original.createEmail(...args);
      if (crash.emailStoredAnswerLost > 0) {
        crash.emailStoredAnswerLost--;
        throw new Error('the answer to a write that landed was lost');
      }
      return stored;
    },
  };
});

let stack: LocalStack;
let key: string;
let teamId: string;

beforeAll(async () => {
  // No workers: the test plays the queue, delivering the same job as often as it likes.
  stack = await startLocalStack({ withWorkers: false });
  const created = await createTeam(stack, 'sender');
  key = created.adminKey;
  teamId = created.team.id;
});
afterAll(() => stack.stop());

/** Sends through the API and takes the job it queued (content included) off the send queue, as the worker would. */
async function accepted(subject: string): Promise<{ id: string; job: SendJob }> {
  const res = await call(stack.url, 'POST', '/v1/emails', { key, body: { from: 'a@mailroom.test', to: 'someone@example.com', subject, text: 'x' } });
  expect(res.status).toBe(202);
  const sqs = new SQSClient({ endpoint: endpoints().sqsS3, ...LOCAL_AWS, useQueueUrlAsEndpoint: false });
  try {
    for (let tries = 0; tries < 20; tries++) {
      const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: process.env.SEND_QUEUE_URL, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
      for (const message of Messages) {
        await sqs.send(new DeleteMessageCommand({ QueueUrl: process.env.SEND_QUEUE_URL, ReceiptHandle: message.ReceiptHandle }));
        const job = SendJob.parse(JSON.parse(message.Body!));
        if (job.email_id === res.body.id) return { id: job.email_id, job };
      }
    }
    throw new Error(`the send job of ${res.body.id} never reached the queue`);
  } finally {
    sqs.destroy();
  }
}

const timesCaptured = sesFront.timesSent;

const get = async (id: string) => (await call(stack.url, 'GET', `/v1/emails/${id}`, { key })).body;

describe('sender', () => {
  it('a redelivered message after a successful send (crash before the ack) does not send again', async () => {
    const subject = `Once ${Date.now()}`;
    const { id, job } = await accepted(subject);
    await deliverEmail(job, 1);
    await deliverEmail(job, 2);
    await Promise.all([deliverEmail(job, 3), deliverEmail(job, 3)]);
    expect(await timesCaptured(subject)).toBe(1);
    expect((await get(id)).status).toBe('sent');
  });

  it('claims in one conditional write, no read first; a scheduled email is claimed only once due, another team’s never', async () => {
    const subject = `Later ${Date.now()}`;
    const { id, job } = await accepted(subject);
    // Scheduled an hour ahead, as if this were an early hop of its job (the API would not queue the job yet).
    const schedule = (at: number) =>
      documentClient.send(
        new UpdateCommand({
          TableName: process.env.TABLE_NAME!,
          Key: { pk: `EMAIL#${id}`, sk: 'EMAIL' },
          UpdateExpression: 'SET #status = :scheduled, scheduled_at = :at',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':scheduled': 'scheduled', ':at': new Date(at).toISOString() },
        }),
      );
    await schedule(Date.now() + 3_600_000);
    const calls = vi.spyOn(documentClient, 'send');
    try {
      await deliverEmail({ ...job, team_id: 'team_01jz0000000000000000000000' }, 1);
      expect((await get(id)).status).toBe('scheduled');
      // Not due: the claim's condition fails and the job is queued again for later (a message to the send queue).
      await deliverEmail(job, 1);
      expect((await get(id)).status).toBe('scheduled');
      expect(await timesCaptured(subject)).toBe(0);

      await schedule(Date.now() - 1000);
      calls.mockClear();
      await deliverEmail(job, 2);
      // Its first call is the claim, and nothing reads the email (the API's reads below come after).
      const commands = calls.mock.calls.map(([command]) => command.constructor.name);
      expect(commands[0]).toBe('UpdateCommand');
      expect(commands).not.toContain('GetCommand');
      expect(await timesCaptured(subject)).toBe(1);
      expect((await get(id)).status).toBe('sent');
    } finally {
      calls.mockRestore();
    }
  });

  it('an email whose write landed but whose answer was lost is accepted (202, not a 5xx that leaves it queued with no job) and sent once', async () => {
    const subject = `Lost answer ${Date.now()}`;
    crash.emailStoredAnswerLost = 1;
    const { id, job } = await accepted(subject);
    expect(crash.emailStoredAnswerLost).toBe(0);
    await deliverEmail(job, 1);
    expect(await timesCaptured(subject)).toBe(1);
    expect((await get(id)).status).toBe('sent');
  });

  it('two workers racing for the same message send it once', async () => {
    const subject = `Race ${Date.now()}`;
    const { job } = await accepted(subject);
    const outcomes = await Promise.allSettled([deliverEmail(job, 1), deliverEmail(job, 1), deliverEmail(job, 1)]);
    // A loser either finds the send done or, if it reads while the winner holds the lease, backs off to retry later.
    for (const outcome of outcomes) if (outcome.status === 'rejected') expect(String(outcome.reason)).toMatch(/being sent by another worker/);
    expect(outcomes.some((o) => o.status === 'fulfilled')).toBe(true);
    expect(await timesCaptured(subject)).toBe(1);
  });

  it('a crash after SES accepted but before recording it never sends twice; SES’s Send event completes the record', async () => {
    const subject = `Crash ${Date.now()}`;
    const { id, job } = await accepted(subject);
    crash.afterSesAccepted = 1;
    await expect(deliverEmail(job, 1)).rejects.toThrow('process died');
    expect(await timesCaptured(subject)).toBe(1);
    expect((await get(id)).status).toBe('sending');

    // Redelivered while the dead sender's lease still runs: try later, do not send.
    await expect(deliverEmail(job, 2)).rejects.toThrow(/being sent by another worker/);
    // After the lease: recorded as interrupted, still not sent again.
    await documentClient.send(
      new UpdateCommand({ TableName: process.env.TABLE_NAME!, Key: { pk: `EMAIL#${id}`, sk: 'EMAIL' }, UpdateExpression: 'SET lease_until = :past', ExpressionAttributeValues: { ':past': 1 } }),
    );
    await deliverEmail(job, 3);
    expect(await timesCaptured(subject)).toBe(1);
    const failed = await get(id);
    expect(failed).toMatchObject({ status: 'failed', error: { code: 'send_interrupted' } });

    // SES did accept it: its Send event moves the email on.
    await applySesEvent(
      {
        eventType: 'Send',
        mail: { timestamp: new Date().toISOString(), messageId: 'ses-id-from-event', destination: ['someone@example.com'], tags: { mailroom_email_id: [id], mailroom_team_id: [teamId] } },
        send: {},
      },
      `send-${id}`,
    );
    expect(await get(id)).toMatchObject({ status: 'sent', ses_message_id: 'ses-id-from-event' });
  });
});
