/**
 * The emulators restart under running workers, mid-batch: while the sender holds a batch at SES, DynamoDB Local
 * (its data on disk) and fauxqs (SQS and S3, saved and restored as `npm run dev` does: local/snapshot.ts) stop
 * and start again. Work resumes on its own: every email is sent exactly once, none is lost, no DLQ fills.
 * This file runs emulators of its own (the shared ones cannot restart under other test files).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_AWS, type Endpoints } from '../../local/aws-env.js';
import { freePort, startDynamoDb, startSes, startSqsS3 } from '../../local/emulators.js';
import { startSesFront } from '../../local/ses-front.js';
import { startS3Front } from '../../local/s3-front.js';
import { functionEnvironment, provision, startServices, type Services } from '../../local/runtime.js';
import { restoreObjects, restoreQueues, saveObjects, saveQueues, snapshotPaths } from '../../local/snapshot.js';
import type { ProvisionedQueue } from '../../local/provision.js';
import { createTeam, type LocalStack } from '../support/local-stack.js';
import { eventually, expectEventually, sleep } from '../support/http.js';
import { getEmail, queueAndDlqDepth, sendEmail } from './support/fault-stack.js';
import { sesFrontAt } from '../support/ses-front.js';

const TABLE_NAME = 'mailroom-restart';
const QUEUE_PREFIX = 'restart';
const stateDir = mkdtempSync(join(tmpdir(), 'mailroom-restart-'));
const paths = snapshotPaths(stateDir);
const dbPath = join(stateDir, 'dynamodb');

type Running<T extends (...args: never[]) => Promise<unknown>> = Awaited<ReturnType<T>>;
let ports: { dynamodb: number; sqsS3: number };
let dynamodb: Running<typeof startDynamoDb>;
let fauxqs: Running<typeof startSqsS3>;
let sesMailbox: Running<typeof startSes>;
let sesFrontServer: Running<typeof startSesFront>;
let s3Front: Running<typeof startS3Front>;
let endpoints: Endpoints;
let queues: ProvisionedQueue[];
let services: Services;
let stack: LocalStack;
let sqs: SQSClient;
let key: string;
const workerErrors: unknown[] = [];
const savedEnv = { ...process.env };
const front = sesFrontAt(() => endpoints.ses);

/** DynamoDB Local and fauxqs, on the same ports each time, as `npm run dev` starts them. */
async function startStorage() {
  [dynamodb, fauxqs] = await Promise.all([startDynamoDb({ port: ports.dynamodb, dbPath }), startSqsS3({ port: ports.sqsS3 })]);
}

beforeAll(async () => {
  mkdirSync(dbPath, { recursive: true });
  ports = { dynamodb: await freePort(), sqsS3: await freePort() };
  await startStorage();
  sesMailbox = await startSes({ port: 0 });
  const sqsS3 = `http://127.0.0.1:${ports.sqsS3}`;
  sesFrontServer = await startSesFront({ port: 0, upstream: sesMailbox.endpoint, snsEndpoint: sqsS3, autoVerify: true, stateFile: join(stateDir, 'ses.json') });
  s3Front = await startS3Front({ port: 0, upstream: sqsS3, sqsEndpoint: sqsS3, region: LOCAL_AWS.region, credentials: LOCAL_AWS.credentials, stateFile: join(stateDir, 's3-front.json') });
  endpoints = { dynamodb: dynamodb.endpoint, sqsS3, ses: sesFrontServer.endpoint, s3: s3Front.endpoint };
  ({ queues } = await provision(endpoints, { tableName: TABLE_NAME, queuePrefix: QUEUE_PREFIX }));
  // This process's functions talk to these emulators (none of their clients exists yet).
  Object.assign(
    process.env,
    functionEnvironment({ endpoints, tableName: TABLE_NAME, queuePrefix: QUEUE_PREFIX, queues, pepper: process.env.MAILROOM_PEPPER!, rootKey: process.env.MAILROOM_ROOT_KEY! }),
  );
  delete process.env.PUBLIC_API_URL;
  services = await startServices({ apiPort: 0, endpoints, queues, stepFunctions: { port: 0, timeScale: 1 }, onWorkerError: (error) => workerErrors.push(error) });
  stack = { url: services.api.url, smtpPort: services.smtp.port, rootKey: process.env.MAILROOM_ROOT_KEY!, stop: () => services.stop() };
  sqs = new SQSClient({ endpoint: sqsS3, ...LOCAL_AWS, useQueueUrlAsEndpoint: false });
  key = (await createTeam(stack, 'restart')).adminKey;
}, 120_000);

afterAll(async () => {
  await services?.stop();
  sqs?.destroy();
  await s3Front?.stop();
  await Promise.allSettled([dynamodb?.stop(), fauxqs?.stop(), sesFrontServer?.stop()]);
  await sesMailbox?.stop();
  for (const name of Object.keys(process.env)) if (!(name in savedEnv)) delete process.env[name];
  Object.assign(process.env, savedEnv);
  rmSync(stateDir, { recursive: true, force: true });
});

/** What `npm run dev` does on Ctrl-C and the next start, for the storage emulators only: the workers keep running. */
async function restartStorage(downForMs: number) {
  const s3 = new S3Client({ endpoint: endpoints.sqsS3, ...LOCAL_AWS, forcePathStyle: true });
  const urls = Object.fromEntries(queues.flatMap((q) => [q.url, q.dlqUrl]).map((url) => [url.split('/').pop()!, url]));
  try {
    await saveQueues(fauxqs.server, Object.keys(urls), paths.queues);
    await saveObjects(s3, paths.objects);
    await Promise.all([dynamodb.stop(), fauxqs.stop()]);
    await sleep(downForMs);
    await startStorage();
    const again = await provision(endpoints, { tableName: TABLE_NAME, queuePrefix: QUEUE_PREFIX });
    expect(again.queues.map((q) => q.url)).toEqual(queues.map((q) => q.url));
    await restoreQueues(sqs, urls, paths.queues);
    await restoreObjects(s3, paths.objects);
  } finally {
    s3.destroy();
  }
}

describe('emulators restarting mid-batch', () => {
  it('work resumes: every email sent exactly once, none lost, no DLQ', async () => {
    const run = randomUUID().slice(0, 8);
    const to = `restart-${run}@example.com`;
    const subjects = Array.from({ length: 15 }, (_, i) => `Restart ${run} #${i + 1}`);
    // SES holds every send: the sender is mid-batch, waiting on SES, when the emulators go away.
    const fault = await front.inject('hang', to, 1000);
    const ids: string[] = [];
    for (const subject of subjects) ids.push(await sendEmail(stack, key, to, subject));
    await eventually(async () => (await front.calls(to)).some((c) => c.status === 'pending'), 20_000);

    const errorsBefore = workerErrors.length;
    await restartStorage(1000);
    // The pollers felt the outage (failed receives) and carried on.
    expect(workerErrors.length).toBeGreaterThan(errorsBefore);
    // The sender's claims, written before the outage, came back from disk: the batch is still mid-send.
    const afterRestart = await Promise.all(ids.map((id) => getEmail(stack, key, id)));
    expect(afterRestart.some((email) => email.status === 'sending')).toBe(true);
    await front.clear(fault);

    const emails = await expectEventually(
      async () => {
        const all = await Promise.all(ids.map((id) => getEmail(stack, key, id)));
        for (const email of all) expect(email.status).toMatch(/^(sent|delivered)$/);
        return all;
      },
      60_000,
      500,
    );
    expect(emails).toHaveLength(subjects.length);
    for (const subject of subjects) expect(await front.timesSent(subject), subject).toBe(1);
    expect((await front.calls(to)).filter((c) => c.status === 'accepted')).toHaveLength(subjects.length);
    // Redeliveries of messages the restart brought back found their emails sent and were acknowledged.
    await expectEventually(async () => {
      for (const queue of queues) expect(await queueAndDlqDepth(sqs, queue), queue.definition.name).toBe(0);
    }, 30_000);
  });
});
