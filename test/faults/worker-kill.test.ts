/**
 * A sender killed mid-batch (SIGKILL, as a crashed or timed-out Lambda), right after SES accepted one email of
 * the batch and before its answer came back: that email is never sent again and ends `failed` with
 * `send_interrupted`; the batch's other emails, which the dead worker had not handed to SES, are sent by a fresh
 * worker, each once.
 * Two things are shortened: the send queue shows a dead worker's messages again after 3 s rather than its 6 min
 * visibility timeout, and the fresh worker's clock runs past the dead one's lease rather than the test waiting
 * 2 min for it.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { SEND_LEASE_MS } from '../../functions/domain/deliver-email.js';
import { createTeam } from '../support/local-stack.js';
import { eventually, expectEventually } from '../support/http.js';
import { getEmail, queueAndDlqDepth, sendEmail, startFaultStack, startWorkerProcess, type FaultStack, type WorkerProcess } from './support/fault-stack.js';
import { sesFront } from '../support/ses-front.js';

vi.mock('../../lib/queues.js', (importOriginal) =>
  // Visibility timeout = 6 × consumer timeout = 3 s.
  import('./support/queue-changes.js').then(({ queuesWith }) => queuesWith(importOriginal, { send: { consumerTimeoutSeconds: 0.5 } })),
);

let stack: FaultStack;
let key: string;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  // The API only: the senders run in child processes.
  stack = await startFaultStack({ label: 'kill', consumers: [] });
  key = (await createTeam(stack, 'kill')).adminKey;
});
afterAll(async () => {
  await Promise.all(workers.map((w) => w.kill()));
  await stack?.stop();
});


describe('a sender killed mid-batch', () => {
  it('never sends an email twice; the one SES had is send_interrupted, the rest of the batch is sent by a fresh worker', async () => {
    const run = randomUUID().slice(0, 8);
    const to = `killed-${run}@example.com`;
    const subjects = Array.from({ length: 5 }, (_, i) => `Killed ${run} #${i + 1}`);
    // All queued before any worker runs, so the first worker takes them in one batch.
    const ids: string[] = [];
    for (const subject of subjects) ids.push(await sendEmail(stack, key, to, subject));
    const fault = await sesFront.inject('hang_after_accept', to);

    // One send a minute (1/s spread over 60 instances): while the first email's answer never comes, the others of
    // the batch wait their turn unclaimed, however slowly this test notices the held call and kills the worker.
    const doomed = await startWorkerProcess(stack, ['send'], { SES_SEND_RATE_PER_SECOND: '1', CONSUMER_MAX_CONCURRENCY: '60' });
    workers.push(doomed);
    const held = await eventually(async () => (await sesFront.calls(to)).find((c) => c.status === 'accepted' && !c.answered), 30_000);
    await doomed.kill();
    const interrupted = await sesFront.subjectOf(held.messageId!);
    expect(subjects).toContain(interrupted);

    const fresh = await startWorkerProcess(stack, ['send'], { FAULTS_CLOCK_AHEAD_MS: String(SEND_LEASE_MS + 10_000) });
    workers.push(fresh);
    const emails = await expectEventually(async () => {
      const all = await Promise.all(ids.map((id) => getEmail(stack, key, id)));
      for (const email of all) expect(email.status).toMatch(/^(sent|delivered|failed)$/);
      return all;
    }, 60_000);

    const outcome = await Promise.all(
      emails.map(async (email, i) => ({ subject: subjects[i], status: email.status === 'delivered' ? 'sent' : email.status, error: email.error?.code ?? null, timesSent: await sesFront.timesSent(subjects[i]!) })),
    );
    expect(outcome).toEqual(
      subjects.map((subject) => (subject === interrupted ? { subject, status: 'failed', error: 'send_interrupted', timesSent: 1 } : { subject, status: 'sent', error: null, timesSent: 1 })),
    );
    expect((await sesFront.calls(to)).filter((c) => c.status === 'accepted')).toHaveLength(subjects.length);
    await expectEventually(async () => expect(await queueAndDlqDepth(stack.sqs, stack.queue('send'))).toBe(0), 15_000);
    await sesFront.clear(fault).catch(() => undefined);
  });
});
