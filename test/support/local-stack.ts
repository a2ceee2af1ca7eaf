/**
 * The local HTTP API and queue consumers (of this worker's own queues), started inside a test worker against the
 * shared emulators: requests go through real HTTP, the API Gateway event translation and the real handlers.
 */
import { startServices, type Services } from '../../local/runtime.js';
import type { Endpoints } from '../../local/aws-env.js';
import { workerStack } from './worker-stack.js';

export interface LocalStack {
  url: string;
  /** Local SMTP port: mail delivered here is received like SES receiving would. */
  smtpPort: number;
  rootKey: string;
  stop(): Promise<void>;
}

export function endpoints(): Endpoints {
  const env = workerStack().functionEnv;
  return { dynamodb: env.AWS_ENDPOINT_URL_DYNAMODB!, sqsS3: env.AWS_ENDPOINT_URL_SQS!, ses: env.AWS_ENDPOINT_URL_SESV2!, s3: env.AWS_ENDPOINT_URL_S3! };
}

export async function startLocalStack(
  options: {
    corsOrigins?: string[];
    withWorkers?: boolean;
    stepFunctionsStateFile?: string;
    /**
     * How long a day of campaign waits lasts (a second by default). A test that acts between a send and the end
     * of the wait after it needs a wait that outlasts the send's latency on a busy machine.
     */
    campaignDayMs?: number;
  } = {},
): Promise<LocalStack> {
  const services: Services = await startServices({
    apiPort: 0,
    endpoints: endpoints(),
    queues: options.withWorkers === false ? [] : workerStack().queues,
    corsOrigins: options.corsOrigins,
    stepFunctions: { port: 0, timeScale: 86_400_000 / (options.campaignDayMs ?? 1000), stateFile: options.stepFunctionsStateFile },
  });
  return { url: services.api.url, smtpPort: services.smtp.port, rootKey: process.env.MAILROOM_ROOT_KEY!, stop: () => services.stop() };
}

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

/** One HTTP call; `body` objects are sent as JSON, strings as they are. */
export async function call<T = any>(
  baseUrl: string,
  method: string,
  path: string,
  options: { key?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.key) headers.authorization = `Bearer ${options.key}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const response = await fetch(`${baseUrl}${path}`, { method, headers, body });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = text;
  }
  return { status: response.status, headers: response.headers, body: parsed as T };
}

let counter = 0;
/** A new team with its initial admin key, named uniquely so tests never share state. */
export async function createTeam(stack: LocalStack, prefix = 'team') {
  const slug = `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter++}`;
  const res = await call(stack.url, 'POST', '/v1/teams', { key: stack.rootKey, body: { slug, name: `Team ${slug}` } });
  if (res.status !== 201) throw new Error(`team create failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { team: res.body, adminKey: res.body.api_key.key as string };
}
