/**
 * What the fault tests share: a stack of the test file's own in the shared emulators, the SES front's fault
 * injection and call log, worker processes to kill, and `npm run redrive` run as an operator would.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { functionEnvironment, localClients, provision, startServices } from '../../../local/runtime.js';
import { loadHandler } from '../../../local/lambda.js';
import { startQueuePollers } from '../../../local/queue-poller.js';
import { LOCAL_AWS } from '../../../local/aws-env.js';
import type { ProvisionedQueue } from '../../../local/provision.js';
import type { QueueName } from '../../../lib/queues.js';
import { call, endpoints, type LocalStack } from '../../support/local-stack.js';
import { depth } from '../../../scripts/redrive.js';

export const PROJECT_ROOT = resolve(import.meta.dirname, '..', '..', '..');

export interface FaultStack extends LocalStack {
  /** The prefix of its queue names (what `npm run redrive -- --prefix` takes). */
  prefix: string;
  queue(name: QueueName): ProvisionedQueue;
  /** Bodies of the messages this process's consumers received from a queue, in order. */
  received(name: QueueName): string[];
  sqs: SQSClient;
}

/**
 * Its own queues (built from lib/queues.ts as the test file sees it: a file that shortens a queue's backoff gets
 * queues to match), SES event topic, configuration sets and media bucket; the functions' environment of this
 * process pointed at them; the API and the consumers of `consumers` running here.
 */
export async function startFaultStack(options: {
  label: string;
  consumers: readonly QueueName[];
  env?: Record<string, string>;
}): Promise<FaultStack> {
  const prefix = `faults-${options.label}-${randomUUID().slice(0, 6)}`;
  const shared = endpoints();
  const { queues } = await provision(shared, { tableName: process.env.TABLE_NAME!, queuePrefix: prefix });
  const saved = { ...process.env };
  Object.assign(
    process.env,
    functionEnvironment({ endpoints: shared, tableName: process.env.TABLE_NAME!, queuePrefix: prefix, queues, pepper: process.env.MAILROOM_PEPPER!, rootKey: process.env.MAILROOM_ROOT_KEY! }),
    options.env,
  );
  const services = await startServices({ apiPort: 0, endpoints: shared, queues: [], stepFunctions: { port: 0, timeScale: 1 } });
  const { sqs } = localClients(shared);
  // The consumers run as runtime.ts runs them, through a wrapper that keeps what each received.
  const bodies = new Map<string, string[]>();
  const pollers = startQueuePollers(
    sqs,
    queues
      .filter((q) => options.consumers.includes(q.definition.name as QueueName))
      .map((q) => ({
        name: q.definition.name,
        url: q.url,
        arn: q.arn,
        batchSize: q.definition.batchSize,
        timeoutSeconds: q.definition.consumerTimeoutSeconds,
        consumer: async (event: SQSEvent, context: Context) => {
          const kept = bodies.get(q.definition.name) ?? [];
          bodies.set(q.definition.name, [...kept, ...event.Records.map((r) => r.body)]);
          return (await loadHandler<SQSEvent, SQSBatchResponse | void>(q.definition.consumer))(event, context);
        },
      })),
    { region: LOCAL_AWS.region },
  );
  return {
    url: services.api.url,
    smtpPort: services.smtp.port,
    rootKey: process.env.MAILROOM_ROOT_KEY!,
    prefix,
    sqs,
    queue: (name) => queues.find((q) => q.definition.name === name)!,
    received: (name) => bodies.get(name) ?? [],
    stop: async () => {
      await pollers.stop();
      await services.stop();
      sqs.destroy();
      for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
      Object.assign(process.env, saved);
    },
  };
}

/** One plain email sent through the stack's API (202 expected); its id. */
export async function sendEmail(stack: Pick<LocalStack, 'url'>, key: string, to: string, subject: string): Promise<string> {
  const res = await call(stack.url, 'POST', '/v1/emails', { key, body: { from: 'faults@mailroom.test', to, subject, text: 'x' } });
  if (res.status !== 202) throw new Error(`send refused: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id;
}

export const getEmail = async (stack: Pick<LocalStack, 'url'>, key: string, id: string) => (await call(stack.url, 'GET', `/v1/emails/${id}`, { key })).body;

/** Messages in a queue and its DLQ, visible or in flight: 0 once every message was handled and acknowledged. */
export const queueAndDlqDepth = async (sqs: SQSClient, queue: Pick<ProvisionedQueue, 'url' | 'dlqUrl'>) => (await depth(sqs, queue.url)) + (await depth(sqs, queue.dlqUrl));

/** `npm run redrive -- <args>` against the local queues of `stack`, as an operator runs it. */
export function redrive(stack: Pick<FaultStack, 'prefix'>, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '--silent', 'redrive', '--', ...args, '--prefix', stack.prefix], { cwd: PROJECT_ROOT, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

export interface WorkerProcess {
  /** Everything it wrote to stderr so far. */
  stderr(): string;
  /** SIGKILL: no cleanup, no acknowledgements, as a crashed or timed-out Lambda. */
  kill(): Promise<void>;
  /** SIGTERM: it finishes its current batches first. */
  stop(): Promise<void>;
}

/** The consumers of `consumers` in a child process (support/queue-worker.ts), with this process's environment plus `env`. */
export async function startWorkerProcess(stack: FaultStack, consumers: readonly QueueName[], env: Record<string, string> = {}): Promise<WorkerProcess> {
  const queues = consumers.map((name) => {
    const { definition, url, arn } = stack.queue(name);
    return { name, url, arn, batchSize: definition.batchSize, timeoutSeconds: definition.consumerTimeoutSeconds, consumer: definition.consumer };
  });
  const child = spawn(process.execPath, ['--conditions=mailroom-source', '--import', 'tsx', resolve(import.meta.dirname, 'queue-worker.ts')], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...env, FAULTS_WORKER_QUEUES: JSON.stringify(queues) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
    child.once('exit', (code) => reject(new Error(`worker exited with ${code} before it was ready: ${stderr}`)));
  });
  const end = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  return { stderr: () => stderr, kill: () => end('SIGKILL'), stop: () => end('SIGTERM') };
}
