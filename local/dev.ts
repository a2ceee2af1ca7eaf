/**
 * `npm run dev`: the whole Mailroom stack offline. Prints, one per line, what scripts read:
 *   API: http://127.0.0.1:<port>
 *   Root key: mr_root_…
 *   Mail viewer: http://127.0.0.1:<port>
 *   SMTP: 127.0.0.1:<port>
 * Configuration (environment): MAILROOM_API_PORT (8787), MAILROOM_DYNAMODB_PORT (8788),
 * MAILROOM_SQS_PORT (8789, SQS + S3), MAILROOM_SES_PORT (8790, SES + mail viewer), MAILROOM_S3_PORT (8791, the S3 front:
 * presigned URL checks, bucket notifications, public objects), MAILROOM_SMTP_PORT (2525),
 * MAILROOM_SFN_PORT (8792, Step Functions: campaign enrolments),
 * MAILROOM_STATE_DIR (.mailroom), MAILROOM_CORS_ORIGINS (comma-separated), MAILROOM_AUTO_VERIFY_DOMAINS (true: a
 * domain verifies on its first check, as there is no DNS locally). `--fresh` wipes the state.
 * `--time-scale N` makes campaign waits pass N times faster (86400: a day per second).
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { generateRootToken } from '../functions/shared/auth/api-key-token.js';
import { LOCAL_AWS } from './aws-env.js';
import { assertJava, MissingJavaError } from './emulators.js';
import { DEFAULT_TABLE_NAME, functionEnvironment, provision, startEmulators, startServices } from './runtime.js';
import { DEFAULT_QUEUE_PREFIX } from './provision.js';
import { restoreObjects, restoreQueues, saveObjects, saveQueues, snapshotPaths } from './snapshot.js';

const SNAPSHOT_INTERVAL_MS = 5000;

function port(name: string, fallback: number): number {
  const raw = process.env[name];
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 65535) throw new Error(`${name} must be a port number, got "${raw}"`);
  return value;
}

/** The pepper and root key are made once per state folder, so keys stay valid across restarts. */
function loadSecrets(stateDir: string): { pepper: string; rootKey: string } {
  const file = join(stateDir, 'secrets.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8'));
  const secrets = { pepper: randomBytes(32).toString('base64url'), rootKey: generateRootToken() };
  writeFileSync(file, JSON.stringify(secrets), { mode: 0o600 });
  chmodSync(file, 0o600);
  return secrets;
}

/** A previous run killed with SIGKILL can leave DynamoDB Local running on our port and files. */
function stopStaleDynamoDb(pidFile: string) {
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8'));
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (cmdline.includes('DynamoDBLocal')) process.kill(pid, 'SIGKILL');
  } catch {
    // Not running (or no /proc): nothing to stop.
  }
  rmSync(pidFile, { force: true });
}

function timeScaleArgument(): number {
  const at = process.argv.indexOf('--time-scale');
  if (at < 0) return 1;
  const value = Number(process.argv[at + 1]);
  if (!Number.isFinite(value) || value < 1) {
    process.stderr.write('--time-scale takes a number ≥ 1 (e.g. 86400: a day of campaign waits per second).\n');
    process.exit(1);
  }
  return value;
}

async function main() {
  assertJava();
  const fresh = process.argv.includes('--fresh');
  const stateDir = resolve(process.env.MAILROOM_STATE_DIR ?? '.mailroom');
  const ports = {
    api: port('MAILROOM_API_PORT', 8787),
    dynamodb: port('MAILROOM_DYNAMODB_PORT', 8788),
    sqsS3: port('MAILROOM_SQS_PORT', 8789),
    ses: port('MAILROOM_SES_PORT', 8790),
    s3: port('MAILROOM_S3_PORT', 8791),
    smtp: port('MAILROOM_SMTP_PORT', 2525),
    sfn: port('MAILROOM_SFN_PORT', 8792),
  };
  const timeScale = timeScaleArgument();
  const corsOrigins = (process.env.MAILROOM_CORS_ORIGINS ?? '').split(',').map((o) => o.trim()).filter(Boolean);
  const pidFile = join(stateDir, 'dynamodb.pid');
  stopStaleDynamoDb(pidFile);
  if (fresh) rmSync(stateDir, { recursive: true, force: true });
  mkdirSync(join(stateDir, 'dynamodb'), { recursive: true });

  const started = Date.now();
  const emulators = await startEmulators({
    dbPath: join(stateDir, 'dynamodb'),
    sesStateFile: join(stateDir, 'ses.json'),
    s3StateFile: join(stateDir, 's3-front.json'),
    ports,
  });
  writeFileSync(pidFile, String(emulators.dynamoDbPid));
  const { queues } = await provision(emulators.endpoints, { tableName: DEFAULT_TABLE_NAME, queuePrefix: DEFAULT_QUEUE_PREFIX });
  const { pepper, rootKey } = loadSecrets(stateDir);
  Object.assign(process.env, functionEnvironment({ endpoints: emulators.endpoints, tableName: DEFAULT_TABLE_NAME, queuePrefix: DEFAULT_QUEUE_PREFIX, queues, pepper, rootKey }), {
    POWERTOOLS_DEV: process.env.POWERTOOLS_DEV ?? 'true',
    POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
  });

  const sqs = new SQSClient({ endpoint: emulators.endpoints.sqsS3, ...LOCAL_AWS, useQueueUrlAsEndpoint: false });
  // Straight to fauxqs, past the S3 front: restored objects are not new writes and must not send notifications.
  const s3 = new S3Client({ endpoint: emulators.endpoints.sqsS3, ...LOCAL_AWS, forcePathStyle: true });
  const paths = snapshotPaths(stateDir);
  const queueNames = queues.flatMap((q) => [q.url, q.dlqUrl].map((url) => url.split('/').pop()!));
  const queueUrls = Object.fromEntries(queues.flatMap((q) => [[q.url.split('/').pop()!, q.url], [q.dlqUrl.split('/').pop()!, q.dlqUrl]]));
  await restoreQueues(sqs, queueUrls, paths.queues);
  await restoreObjects(s3, paths.objects);

  const services = await startServices({
    apiPort: ports.api,
    smtpPort: ports.smtp,
    endpoints: emulators.endpoints,
    queues,
    corsOrigins,
    onWorkerError: (error) => process.stderr.write(`worker: ${(error as Error).message}\n`),
    stepFunctions: { port: ports.sfn, timeScale, stateFile: join(stateDir, 'step-functions.json') },
  });

  const snapshot = async () => {
    await saveQueues(emulators.fauxqs, queueNames, paths.queues);
    await saveObjects(s3, paths.objects);
  };
  const timer = setInterval(() => snapshot().catch((e) => process.stderr.write(`snapshot: ${(e as Error).message}\n`)), SNAPSHOT_INTERVAL_MS);

  process.stdout.write(
    [
      `API: ${services.api.url}`,
      `Root key: ${rootKey}`,
      `Mail viewer: ${emulators.endpoints.ses}`,
      `SMTP: 127.0.0.1:${services.smtp.port}`,
      `Step Functions: ${services.stepFunctions.endpoint}${timeScale === 1 ? '' : ` (waits ${timeScale}× faster)`}`,
      `State: ${stateDir}`,
      `Ready in ${Date.now() - started} ms. Ctrl-C stops everything.`,
      '',
    ].join('\n'),
  );

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    clearInterval(timer);
    process.stdout.write(`\n${signal}: stopping…\n`);
    await services.stop();
    await snapshot().catch(() => undefined);
    await emulators.stop();
    rmSync(pidFile, { force: true });
    process.exit(0);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void shutdown(signal));
}

main().catch((error) => {
  process.stderr.write(error instanceof MissingJavaError ? `${error.message}\n` : `mailroom dev: ${(error as Error).stack ?? error}\n`);
  process.exit(1);
});
