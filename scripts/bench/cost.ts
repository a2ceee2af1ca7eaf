/**
 * Turns what an operation measurably did into USD at the prices of prices.ts. Everything the functions' own AWS
 * calls and log output cost is priced from those; what happens around them on AWS (API Gateway, Lambda itself, the
 * event source mappings, SNS, SES's own actions) is priced from the rules below, each printed with the results.
 */
import { campaignStateMachineDefinition, STEP_TASK_STATE } from '../../lib/campaign-state-machine.js';
import type { QueueName } from '../../lib/queues.js';
import { unitPrice } from './prices.js';
import type { Invocation } from './stack.js';
import { COST_LINES, type CostLine } from './result.js';

/** Usage an operation causes outside any function's own calls, per measured iteration. */
export interface ExternalUsage {
  /** Objects SES's receipt rule S3 action stores. */
  s3Puts: number;
  /** Mail SES receives, and its 256 KB chunks. */
  sesReceived: number;
  sesIncomingChunks: number;
  stepFunctionsTransitions: number;
}

export const NO_EXTERNAL_USAGE: ExternalUsage = { s3Puts: 0, sesReceived: 0, sesIncomingChunks: 0, stepFunctionsTransitions: 0 };

/** Queues fed by an SNS subscription (SES configuration-set events → SNS topic → queue; local/runtime.ts provision). */
const SNS_FED_QUEUES: readonly QueueName[] = ['ses-events'];

const HTTP_API_METERING_BYTES = 512 * 1024;
const GB = 1024 ** 3;

/**
 * Lambda's own log records per invocation in the JSON log format AppFunction uses, with active tracing: what
 * CloudWatch ingests besides the function's output (shapes of the Lambda docs' platform.start/platform.report).
 */
const TRACING = { spanId: '4b8f1c2d3e4f5a6b', type: 'X-Amzn-Trace-Id', value: 'Root=1-6741a5bd-1a2b3c4d5e6f7a8b9c0d1e2f;Parent=4b8f1c2d3e4f5a6b;Sampled=0' };
const REQUEST_ID = '8f5c4b2a-1d2e-4bcd-9ef0-123456789abc';
const PLATFORM_LOG_BYTES_PER_INVOCATION = [
  { time: '2026-11-23T03:51:41.598Z', type: 'platform.start', record: { requestId: REQUEST_ID, version: '$LATEST', tracing: TRACING } },
  {
    time: '2026-11-23T03:51:41.611Z',
    type: 'platform.report',
    record: { requestId: REQUEST_ID, metrics: { durationMs: 12.345, billedDurationMs: 13, memorySizeMB: 512, maxMemoryUsedMB: 96 }, tracing: TRACING, status: 'success' },
  },
].reduce((sum, record) => sum + Buffer.byteLength(`${JSON.stringify(record)}\n`), 0);
const S3_WRITE_REQUESTS = /^(Put|Copy|Post|List|CreateMultipartUpload|UploadPart|CompleteMultipartUpload)/;

export const COST_ASSUMPTIONS = [
  'Prices: us-east-1 list prices of scripts/bench/prices.ts (first tier, free tiers ignored).',
  'API Gateway: one HTTP API request per route invocation, per 512 KB of request body.',
  "Lambda: requests and GB-seconds at each function's memory in the CDK stack, for the handler time measured here, rounded up to the ms; a Lambda at 512 MB has a fraction of a vCPU, so CPU-bound work may take longer there than in this process.",
  "Queue consumers run in full batches of the queue's batch size (steady traffic): each record costs 1/batch of a Lambda request and of the event source mapping's ReceiveMessage and DeleteMessageBatch; the mappings' idle long polling (a fixed monthly amount per queue) is not per email and not counted. The send operation measures them so too: each iteration sends a send-queue batch of single emails (one request each), then runs each queue in invocations of up to its batch size, so what a batch shares (its stats counter writes, a team's webhooks lookup) is shared as in steady traffic.",
  "Warm: before any operation, DynamoDB Local (a JVM, whose latency with 3 calls in flight falls from about 15 ms to 3.5 ms over its first ten thousand or so calls while it compiles itself) gets the kinds of calls the functions make on a scratch table until it stops getting faster (scripts/bench/emulator-warm-up.ts; DynamoDB on AWS has no such warm-up); then every operation runs untimed iterations of its own (send: 120 emails).",
  'SQS: one request per 64 KB of message bodies; a message SNS delivers to a queue is counted as one SQS request.',
  'SNS: one publish per SES event of the email that its configuration set subscribes to (lib/ses-event-types.ts), as many as reached the ses-events queue: of Send and Delivery for a delivered email without open/click tracking; opens, clicks, bounces and complaints add one each.',
  "DynamoDB: read and write units as DynamoDB Local reports them with ReturnConsumedCapacity TOTAL, raised where Local under-reports (scripts/bench/aws-calls.ts consumedCapacity): each transaction item costs 2 units per KB, rounded up per item; failed conditional writes cost their units too; a read that finds nothing costs the minimum (per key for GetItem and BatchGetItem, per Query).",
  "S3: PUT/COPY/POST/LIST at the write price, GET and others at the read price; SES's receipt rule S3 action stores each received message (one PUT).",
  'SES: $0.10 per 1,000 recipients sent (excluded from "infrastructure"); receiving: per message plus per 256 KB chunk.',
  `CloudWatch Logs: what each function writes (its log lines at the deployed log level and its EMF metrics, measured) plus Lambda's platform.start and platform.report records (${PLATFORM_LOG_BYTES_PER_INVOCATION} bytes per invocation), per GB ingested.`,
  'Sender pacing: traffic below the SES send rate, so the sender never waits for its turn (waiting would be billed Lambda time).',
  'The team has no webhooks unless the operation says so: its events still go through the webhook fan-out, which finds no endpoint.',
  'Not counted: X-Ray traces (sampled: at the default 1 request/s plus 5 %, about $5 per million traced invocations), CloudWatch custom metrics (per metric per month, not per email), storage (DynamoDB items, S3 payloads), data transfer, Secrets Manager (read once per container).',
];

/** Step Functions states the execution enters for one invocation of the step task, up to where it waits or ends. */
export function stateTransitions(output: Record<string, unknown>): number {
  interface State {
    Type: string;
    Next?: string;
    Default?: string;
    Choices?: { Variable: string; StringEquals?: string; Next: string }[];
  }
  const states = campaignStateMachineDefinition('arn:bench').States as Record<string, State>;
  let name = STEP_TASK_STATE;
  for (let entered = 1; ; entered++) {
    const state = states[name]!;
    if (state.Type === 'Task') name = state.Next!;
    else if (state.Type === 'Choice') {
      const choice = state.Choices!.find((c) => {
        if (c.StringEquals === undefined || !c.Variable.startsWith('$.')) throw new Error(`stateTransitions: cannot evaluate choice ${JSON.stringify(c)}`);
        return output[c.Variable.slice(2)] === c.StringEquals;
      });
      name = choice?.Next ?? state.Default!;
    } else return entered;
  }
}

/** Lambda requests an invocation stands for: queue records in full batches (see COST_ASSUMPTIONS), else one. */
const lambdaRequests = (invocation: Invocation) => (invocation.trigger.kind === 'queue' ? invocation.records / invocation.trigger.batchSize : 1);

export function operationCost(invocations: Invocation[], units: number, external: ExternalUsage, memoryMb: (entry: string) => number): Record<CostLine, number> {
  const usd = Object.fromEntries(COST_LINES.map((line) => [line, 0])) as Record<CostLine, number>;
  for (const invocation of invocations) {
    const { trigger } = invocation;
    if (trigger.kind === 'http') usd['API Gateway'] += Math.max(1, Math.ceil(trigger.requestBytes / HTTP_API_METERING_BYTES)) * unitPrice('httpApiRequest');
    usd['Lambda requests'] += lambdaRequests(invocation) * unitPrice('lambdaRequest');
    if (trigger.kind === 'queue') {
      usd.SQS += 2 * lambdaRequests(invocation) * unitPrice('sqsRequest');
      if (SNS_FED_QUEUES.includes(trigger.queue)) {
        usd.SNS += invocation.records * unitPrice('snsPublish');
        usd.SQS += invocation.records * unitPrice('sqsRequest');
      }
    }
    usd['Lambda duration'] += (Math.ceil(invocation.ms) / 1000) * (memoryMb(invocation.entry) / 1024) * unitPrice('lambdaGbSecond');
    usd['CloudWatch Logs'] += ((invocation.logBytes + PLATFORM_LOG_BYTES_PER_INVOCATION * lambdaRequests(invocation)) / GB) * unitPrice('cloudWatchLogsIngested');
    for (const call of invocation.calls) {
      if (call.service === 'DynamoDB') usd.DynamoDB += call.rcu * unitPrice('dynamoReadUnit') + call.wcu * unitPrice('dynamoWriteUnit');
      else if (call.service === 'SQS') usd.SQS += call.billable * unitPrice('sqsRequest');
      else if (call.service === 'S3' && call.command !== 'DeleteObject' && call.command !== 'DeleteObjects')
        usd.S3 += S3_WRITE_REQUESTS.test(call.command) ? unitPrice('s3WriteRequest') : unitPrice('s3ReadRequest');
      else if (call.service === 'SES' && call.command === 'SendEmail') usd.SES += call.billable * unitPrice('sesEmail');
    }
  }
  usd.S3 += external.s3Puts * unitPrice('s3WriteRequest');
  usd.SES += external.sesReceived * unitPrice('sesEmailReceived') + external.sesIncomingChunks * unitPrice('sesIncomingChunk');
  usd['Step Functions'] += external.stepFunctionsTransitions * unitPrice('stepFunctionsTransition');
  return Object.fromEntries(COST_LINES.map((line) => [line, usd[line] / units])) as Record<CostLine, number>;
}
