/** Shared by the benchmarks: the offline stack in this process, AWS call counting, invocation, statistics. */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { generateRootToken } from '../functions/shared/auth/api-key-token.js';
import { functionEnvironment, provision, startEmulators, type Emulators } from '../local/runtime.js';
import type { ProvisionedQueue } from '../local/provision.js';
import { lambdaContext, loadHandler } from '../local/lambda.js';
import { compilePath, handlerFile, routeById, type RouteId } from '../lib/routes.js';

export interface BenchStack {
  emulators: Emulators;
  queues: ProvisionedQueue[];
  rootKey: string;
  stop(): Promise<void>;
}

export async function startBenchStack(name: string): Promise<BenchStack> {
  const emulators = await startEmulators({ ports: { dynamodb: 0, sqsS3: 0, ses: 0 } });
  const { queues } = await provision(emulators.endpoints, { tableName: name, queuePrefix: name });
  const rootKey = generateRootToken();
  Object.assign(process.env, functionEnvironment({ endpoints: emulators.endpoints, tableName: name, queuePrefix: name, queues, pepper: randomBytes(32).toString('base64url'), rootKey }), {
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    RATE_LIMIT_PER_KEY: '1000000',
    RATE_LIMIT_PER_TEAM: '1000000',
    PUBLIC_API_URL: 'http://127.0.0.1:0',
  });
  return { emulators, queues, rootKey, stop: () => emulators.stop() };
}

export interface AwsCall {
  service: string;
  command: string;
  start: number;
  end: number;
  /** The benchScope label the call was made under (undefined: outside any, e.g. a background execution). */
  scope?: string;
}

/** Labels the calls made inside `benchScope.run(label, fn)`, so concurrent background work can be told apart. */
export const benchScope = new AsyncLocalStorage<string>();

/** Records every call the functions' SDK clients make (functions/shared/clients.ts), with its timing. */
export async function recordAwsCalls(): Promise<AwsCall[]> {
  const clients = await import('../functions/shared/clients.js');
  const calls: AwsCall[] = [];
  const services = { DynamoDB: clients.dynamodb, SQS: clients.sqs, S3: clients.s3, SES: clients.ses, StepFunctions: clients.stepFunctions } as const;
  for (const [service, client] of Object.entries(services)) {
    (client.middlewareStack as { add: (m: unknown, o: unknown) => void }).add(
      (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => async (args: unknown) => {
        const start = performance.now();
        try {
          return await next(args);
        } finally {
          calls.push({ service, command: String(context.commandName).replace(/Command$/, ''), start, end: performance.now(), scope: benchScope.getStore() });
        }
      },
      { step: 'initialize', name: `bench-${service}` },
    );
  }
  return calls;
}

/** Invokes a route's real handler in-process with a payload-2.0 event, as API Gateway would. */
export async function invokeRoute(
  routeId: RouteId,
  options: { key?: string; body?: unknown; path?: string; headers?: Record<string, string> } = {},
): Promise<APIGatewayProxyStructuredResultV2> {
  const route = routeById(routeId);
  const handler = await loadHandler<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>(handlerFile(route));
  const path = options.path ?? route.path;
  const headers: Record<string, string> = { ...options.headers };
  if (options.key) headers.authorization = `Bearer ${options.key}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const event = {
    version: '2.0',
    routeKey: `${route.method} ${route.path}`,
    rawPath: path,
    rawQueryString: '',
    headers,
    pathParameters: compilePath(route.path)(path),
    requestContext: { http: { method: route.method, path, sourceIp: '127.0.0.1', protocol: 'HTTP/1.1', userAgent: 'bench' }, requestId: 'bench' },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    isBase64Encoded: false,
  } as unknown as APIGatewayProxyEventV2;
  return handler(event, lambdaContext(`bench-${route.id}`, 10));
}

/** Wall time during which at least one call was in flight (parallel calls overlap). */
export function busyTime(intervals: { start: number; end: number }[]): number {
  let busy = 0;
  let cursor = -Infinity;
  for (const { start, end } of [...intervals].sort((a, b) => a.start - b.start)) {
    if (end <= cursor) continue;
    busy += end - Math.max(start, cursor);
    cursor = end;
  }
  return busy;
}

export const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((values.length * p) / 100))]!;

export async function createBenchTeam(rootKey: string): Promise<string> {
  const created = await invokeRoute('teams.create', { key: rootKey, body: { slug: `bench-${Date.now()}`, name: 'Bench' } });
  return JSON.parse(created.body!).api_key.key as string;
}

/** us-east-1 list prices (USD). DynamoDB: items here are ≤ 1 KB written / ≤ 4 KB read, so one unit per item. */
export const PRICE = {
  dynamoWriteUnit: 0.625 / 1e6,
  dynamoReadUnit: 0.125 / 1e6,
  sqsRequest: 0.4 / 1e6,
  s3Put: 0.005 / 1e3,
  s3Get: 0.0004 / 1e3,
  sesEmail: 0.1 / 1e3,
  stepFunctionsTransition: 0.025 / 1e3,
  snsPublish: 0.5 / 1e6,
  lambdaGbSecondArm: 0.0000133334,
  lambdaRequest: 0.2 / 1e6,
  httpApiRequest: 1.0 / 1e6,
};

/** What one DynamoDB call costs at on-demand prices (a transaction's writes cost twice). */
export const dynamoCallCost = (command: string) =>
  /^(Get|BatchGet|Query)/.test(command) ? PRICE.dynamoReadUnit : command.startsWith('Transact') ? 2 * PRICE.dynamoWriteUnit : PRICE.dynamoWriteUnit;
