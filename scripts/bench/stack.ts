/**
 * The offline stack the benchmark measures against, in this process: the emulators, the functions' environment,
 * a Step Functions stand-in that accepts executions without running them (the benchmark invokes the step task
 * itself, to time it), and the ways work enters the functions — a route invoked as API Gateway would, a queue's
 * consumer invoked as Lambda's event source mapping would, a function invoked directly.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { generateRootToken } from '../../functions/shared/auth/api-key-token.js';
import { LOCAL_AWS } from '../../local/aws-env.js';
import { listenOn } from '../../local/http-helpers.js';
import { lambdaContext, loadHandler } from '../../local/lambda.js';
import type { ProvisionedQueue } from '../../local/provision.js';
import { toSqsRecord } from '../../local/queue-poller.js';
import { functionEnvironment, provision, startEmulators, type Emulators } from '../../local/runtime.js';
import { HTTP_FUNCTION_TIMEOUT_SECONDS } from '../../lib/function-defaults.js';
import type { QueueName } from '../../lib/queues.js';
import { compilePath, handlerFile, routeById, type RouteDefinition, type RouteId } from '../../lib/routes.js';
import { apiGatewayEvent, routeKey } from '../../local/api-event.js';
import { benchScope, recordAwsCalls, type AwsCall } from './aws-calls.js';
import { warmUpDynamoDb } from './emulator-warm-up.js';
import type { EmulatorWarmUp } from './result.js';

const STACK_NAME = 'mailroom-bench';
const STATE_MACHINE_ARN = `arn:aws:states:${LOCAL_AWS.region}:000000000000:stateMachine:${STACK_NAME}`;

/** One invocation of a function, as measured. */
export interface Invocation {
  stage: string;
  /** The function's handler module (its memory comes from the CDK stack). */
  entry: string;
  /** How Lambda bills its requests: one per call (`direct`, `http`), or one per batch of a queue's records. */
  trigger: { kind: 'http'; requestBytes: number } | { kind: 'direct' } | { kind: 'queue'; queue: QueueName; batchSize: number };
  ms: number;
  records: number;
  scope: object;
  calls: AwsCall[];
  /** Bytes the function wrote to stdout/stderr: on Lambda, its log. */
  logBytes: number;
}

export interface BenchStack {
  emulators: Emulators;
  dynamoDbWarmUp: EmulatorWarmUp;
  rootKey: string;
  calls: AwsCall[];
  /** Inputs of the executions the functions started (StartExecution), oldest first. */
  executions: string[];
  /** Bytes written to stdout/stderr in each benchScope. */
  logBytes: WeakMap<object, number>;
  queue(name: QueueName): ProvisionedQueue;
  /** The benchmark's own SQS client: what the event source mapping and producers outside the functions do. */
  sqs: SQSClient;
  stop(): Promise<void>;
}

/** `logLevel`: the functions' POWERTOOLS_LOG_LEVEL as deployed (what they log is measured, then dropped). */
export async function startBenchStack(options: { logLevel: string }): Promise<BenchStack> {
  const emulators = await startEmulators({ ports: { dynamodb: 0, sqsS3: 0, ses: 0 } });
  try {
    const { queues } = await provision(emulators.endpoints, { tableName: STACK_NAME, queuePrefix: STACK_NAME });
    const dynamoDbWarmUp = await warmUpDynamoDb(emulators.endpoints.dynamodb);
    const rootKey = generateRootToken();
    const stepFunctions = await startStepFunctionsStandIn();
    Object.assign(
      process.env,
      functionEnvironment({ endpoints: emulators.endpoints, tableName: STACK_NAME, queuePrefix: STACK_NAME, queues, pepper: randomBytes(32).toString('base64url'), rootKey }),
      {
        POWERTOOLS_LOG_LEVEL: options.logLevel,
        // On AWS the functions write their EMF metrics to the log too.
        POWERTOOLS_METRICS_DISABLED: 'false',
        RATE_LIMIT_PER_KEY: '1000000',
        RATE_LIMIT_PER_TEAM: '1000000',
        // The sender paces itself to the account's SES rate; measured here is its work, not its waiting.
        SES_SEND_RATE_PER_SECOND: '1000000',
        PUBLIC_API_URL: 'http://127.0.0.1:0',
        AWS_ENDPOINT_URL_SFN: stepFunctions.endpoint,
        CAMPAIGN_STATE_MACHINE_ARN: STATE_MACHINE_ARN,
      },
    );
    const calls = await recordAwsCalls();
    const output = captureFunctionOutput();
    const sqs = new SQSClient({ endpoint: emulators.endpoints.sqsS3, ...LOCAL_AWS, useQueueUrlAsEndpoint: false });
    return {
      emulators,
      dynamoDbWarmUp,
      rootKey,
      calls,
      executions: stepFunctions.executions,
      logBytes: output.bytes,
      sqs,
      queue: (name) => queues.find((q) => q.definition.name === name)!,
      stop: async () => {
        output.restore();
        sqs.destroy();
        await new Promise<void>((resolve) => stepFunctions.server.close(() => resolve()));
        await emulators.stop();
      },
    };
  } catch (error) {
    await emulators.stop();
    throw error;
  }
}

/**
 * What the functions write inside a benchScope (their log lines and EMF metrics; Lambda sends both streams to
 * CloudWatch Logs) is counted per scope and dropped; anything else (the benchmark's own progress) passes through.
 */
function captureFunctionOutput(): { bytes: WeakMap<object, number>; restore(): void } {
  const bytes = new WeakMap<object, number>();
  const originals = [process.stdout, process.stderr].map((stream) => {
    const write = stream.write;
    stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      const scope = benchScope.getStore();
      if (!scope) return (write as (...args: unknown[]) => boolean).call(stream, chunk, ...rest);
      bytes.set(scope, (bytes.get(scope) ?? 0) + (typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength));
      const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
      if (callback) process.nextTick(callback);
      return true;
    }) as typeof stream.write;
    return { stream, write };
  });
  return {
    bytes,
    restore: () => {
      for (const { stream, write } of originals) stream.write = write;
    },
  };
}

/** Accepts StartExecution and keeps the input: the step task's first invocation receives exactly that input. */
async function startStepFunctionsStandIn(): Promise<{ endpoint: string; executions: string[]; server: Server }> {
  const executions: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const operation = String(req.headers['x-amz-target'] ?? '');
      res.setHeader('content-type', 'application/x-amz-json-1.0');
      if (operation !== 'AWSStepFunctions.StartExecution') {
        res.writeHead(400).end(JSON.stringify({ __type: 'UnknownOperationException', message: `${operation} is not part of the benchmark` }));
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { name: string; input: string };
      executions.push(body.input);
      res.writeHead(200).end(JSON.stringify({ executionArn: `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:${body.name}`, startDate: Date.now() / 1000 }));
    });
  });
  await listenOn(server, 0);
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, executions, server };
}

interface RouteRequest {
  key?: string;
  body?: unknown;
  path?: string;
  headers?: Record<string, string>;
}

/** API Gateway's payload-2.0 event for a call of the route, as local/api-server.ts builds it from a request. */
function routeEvent(route: RouteDefinition, options: RouteRequest): APIGatewayProxyEventV2 {
  const path = options.path ?? route.path;
  const headers: Record<string, string> = { 'user-agent': 'bench', ...options.headers };
  if (options.key) headers.authorization = `Bearer ${options.key}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  return apiGatewayEvent({
    route,
    method: route.method,
    url: path,
    headers,
    body: options.body === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(options.body)),
    pathParameters: compilePath(route.path)(path),
    sourceIp: '127.0.0.1',
    protocol: 'HTTP/1.1',
  });
}

type Consumer = (event: SQSEvent, context: ReturnType<typeof lambdaContext>) => Promise<SQSBatchResponse>;

/**
 * Drives work through the functions and keeps every invocation it made (`invocations`), each with the AWS calls
 * made in it. Queue stages receive with the benchmark's own client and delete after a successful batch, as the
 * event source mapping does (those requests are the mapping's, priced in the cost model, not the function's).
 */
export class Pipeline {
  readonly invocations: Invocation[] = [];

  constructor(private readonly stack: BenchStack) {}

  private async measure<T>(invocation: Omit<Invocation, 'ms' | 'scope' | 'calls' | 'logBytes'>, run: () => Promise<T>): Promise<T> {
    const scope = {};
    const started = performance.now();
    const result = await benchScope.run(scope, run);
    this.invocations.push({ ...invocation, ms: performance.now() - started, scope, calls: [], logBytes: 0 });
    return result;
  }

  /** Invokes a route's handler; a status of 400 or more throws. Answers the parsed body. */
  async http<T = Record<string, unknown>>(routeId: RouteId, options: RouteRequest = {}): Promise<T> {
    const route = routeById(routeId);
    const handler = await loadHandler<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>(handlerFile(route));
    const event = routeEvent(route, options);
    const response = await this.measure(
      { stage: routeKey(route), entry: handlerFile(route), trigger: { kind: 'http', requestBytes: Buffer.byteLength(event.body ?? '') }, records: 1 },
      () => handler(event, lambdaContext(`bench-${route.id}`, HTTP_FUNCTION_TIMEOUT_SECONDS)),
    );
    if ((response.statusCode ?? 500) >= 400) throw new Error(`${routeId}: ${response.statusCode} ${response.body}`);
    return JSON.parse(response.body ?? 'null') as T;
  }

  /** Invokes a function that is not behind a route or a queue (SES receipt action, Step Functions task). */
  async direct<T>(stage: string, entry: string, event: unknown): Promise<T> {
    const handler = await loadHandler<unknown, T>(entry);
    return this.measure({ stage, entry, trigger: { kind: 'direct' }, records: 1 }, () => handler(event, lambdaContext(`bench-${stage}`, 60)));
  }

  /** Waits for `count` messages on the queue and runs its consumer over them in batches of the queue's batch size. */
  async queue(name: QueueName, count: number): Promise<void> {
    const messages = await this.receive(name, count);
    if (messages.length !== count) throw new Error(`${name}: expected ${count} messages, ${messages.length} arrived`);
    await this.consume(name, messages);
  }

  /** Runs the consumer over whatever the queue holds now (follow-up work such as webhook events). */
  async drain(name: QueueName): Promise<number> {
    const messages = await this.receive(name, Infinity, 0);
    await this.consume(name, messages);
    return messages.length;
  }

  private async consume(name: QueueName, messages: Message[]): Promise<void> {
    const queue = this.stack.queue(name);
    const { batchSize, consumer, consumerTimeoutSeconds } = queue.definition;
    const handler = (await loadHandler<SQSEvent, SQSBatchResponse>(consumer)) as Consumer;
    for (let i = 0; i < messages.length; i += batchSize) {
      const batch = messages.slice(i, i + batchSize);
      const result = await this.measure({ stage: `${name} queue`, entry: consumer, trigger: { kind: 'queue', queue: name, batchSize }, records: batch.length }, () =>
        handler({ Records: batch.map((m) => toSqsRecord(m, queue, LOCAL_AWS.region)) }, lambdaContext(`bench-${name}`, consumerTimeoutSeconds)),
      );
      if (result.batchItemFailures.length) throw new Error(`${name}: ${result.batchItemFailures.length} of ${batch.length} records failed`);
      await deleteMessages(this.stack.sqs, queue.url, batch);
    }
  }

  /** Up to `count` messages; long-polls while waiting for more, or stops at the first empty answer with waitSeconds 0. */
  private receive(name: QueueName, count: number, waitSeconds = 1): Promise<Message[]> {
    return receiveMessages(this.stack.sqs, this.stack.queue(name).url, count, waitSeconds);
  }

  /** Attaches to each invocation the AWS calls made and the log written in it (also after it answered). */
  collect(): Invocation[] {
    for (const invocation of this.invocations) invocation.logBytes = this.stack.logBytes.get(invocation.scope) ?? 0;
    const byScope = new Map(this.invocations.map((invocation) => [invocation.scope, invocation]));
    const rest: AwsCall[] = [];
    for (const call of this.stack.calls.splice(0)) {
      const invocation = call.scope && byScope.get(call.scope);
      if (invocation) invocation.calls.push(call);
      else rest.push(call);
    }
    this.stack.calls.push(...rest);
    return this.invocations;
  }
}

const RECEIVE_TIMEOUT_MS = 15_000;

export async function receiveMessages(sqs: SQSClient, url: string, count: number, waitSeconds: number): Promise<Message[]> {
  const messages: Message[] = [];
  const deadline = Date.now() + RECEIVE_TIMEOUT_MS;
  while (messages.length < count && Date.now() < deadline) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: Math.min(10, count - messages.length), WaitTimeSeconds: waitSeconds, MessageSystemAttributeNames: ['All'] }),
    );
    messages.push(...Messages);
    if (!Messages.length && waitSeconds === 0) break;
  }
  return messages;
}

export async function deleteMessages(sqs: SQSClient, url: string, messages: Message[]): Promise<void> {
  for (let i = 0; i < messages.length; i += 10) {
    const batch = messages.slice(i, i + 10);
    await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: batch.map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle! })) }));
  }
}
