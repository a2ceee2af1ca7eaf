/**
 * Composes the offline stack. `npm run dev` (local/dev.ts) and the test harness (test/setup/) both use it,
 * so tests exercise exactly what a developer runs.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { awsEnvironment, LOCAL_AWS, type Endpoints } from './aws-env.js';
import type { FauxqsServer } from './emulators.js';
import { provisionBucket, provisionBucketNotifications, provisionConfigurationSet, provisionQueues, provisionSesEventTopic, provisionTable, type ProvisionedQueue } from './provision.js';
import { MEDIA_KEY_PREFIX } from '../functions/schemas/storage.js';
import { TRACKED_EVENT_TYPES, UNTRACKED_EVENT_TYPES } from '../lib/ses-event-types.js';
import { autoPauseEnvironment, DEFAULT_AUTO_PAUSE } from '../lib/auto-pause.js';
import { startApiServer, type ApiServer } from './api-server.js';
import { startQueuePollers, type QueuePollers } from './queue-poller.js';
import { startSmtpServer, type LocalSmtp } from './smtp-server.js';
import { lambdaContext, loadHandler } from './lambda.js';
import { LOCAL_STATE_MACHINE_ARN, startStepFunctions, type LocalStepFunctions } from './step-functions.js';
import type { SESEvent } from 'aws-lambda';

export const DEFAULT_TABLE_NAME = 'mailroom';
/** Local names of what CDK creates on AWS that every stack in one set of emulators shares. */
export const LOCAL_MAIL = {
  bucket: 'mailroom-mail',
  defaultSendingDomain: 'mailroom.test',
} as const;

/**
 * Local names of a stack's own resources, from its queue prefix: whatever delivers to its queues (the media
 * bucket's notifications, the configuration sets' events) is its own too, so stacks side by side in one set of
 * emulators (one per test worker) never receive each other's work. DEFAULT_QUEUE_PREFIX gives `npm run dev`
 * mailroom-media, mailroom and mailroom-untracked.
 */
export function stackNames(queuePrefix: string) {
  return {
    mediaBucket: `${queuePrefix}-media`,
    configurationSet: queuePrefix,
    configurationSetUntracked: `${queuePrefix}-untracked`,
    sesEventTopic: `${queuePrefix}-ses-events`,
  };
}

export interface Emulators {
  endpoints: Endpoints;
  fauxqs: FauxqsServer;
  dynamoDbPid: number;
  stop(): Promise<void>;
}

/**
 * `sesStateFile` keeps SES identities and configuration sets across restarts (in memory without one).
 * The SES endpoint is the front (local/ses-front.ts); aws-ses-v2-local sits behind it on a free port.
 * The S3 endpoint is the front in local/s3-front.ts (port `s3`, any free one by default) before fauxqs's S3;
 * `s3StateFile` keeps its bucket notification configurations and object tags.
 */
export async function startEmulators(options: {
  dbPath?: string;
  sesStateFile?: string;
  s3StateFile?: string;
  ports: { dynamodb: number; sqsS3: number; ses: number; s3?: number };
}): Promise<Emulators> {
  // Imported here, not above: a process that only runs the services (each test worker) never loads the emulators.
  const [{ startDynamoDb, startSes, startSqsS3 }, { startSesFront }, { startS3Front }] = await Promise.all([
    import('./emulators.js'),
    import('./ses-front.js'),
    import('./s3-front.js'),
  ]);
  const [dynamodb, sqsS3, sesMailbox] = await Promise.all([
    startDynamoDb({ port: options.ports.dynamodb, dbPath: options.dbPath }),
    startSqsS3({ port: options.ports.sqsS3 }),
    startSes({ port: 0 }),
  ]);
  const sesFront = await startSesFront({
    port: options.ports.ses,
    upstream: sesMailbox.endpoint,
    snsEndpoint: sqsS3.endpoint,
    region: LOCAL_AWS.region,
    stateFile: options.sesStateFile,
    autoVerify: process.env.MAILROOM_AUTO_VERIFY_DOMAINS !== 'false',
  });
  const ses = {
    endpoint: sesFront.endpoint,
    stop: async () => {
      await sesFront.stop();
      await sesMailbox.stop();
    },
  };
  const s3Front = await startS3Front({
    port: options.ports.s3 ?? 0,
    upstream: sqsS3.endpoint,
    sqsEndpoint: sqsS3.endpoint,
    region: LOCAL_AWS.region,
    credentials: LOCAL_AWS.credentials,
    stateFile: options.s3StateFile,
  });
  return {
    endpoints: { dynamodb: dynamodb.endpoint, sqsS3: sqsS3.endpoint, ses: ses.endpoint, s3: s3Front.endpoint },
    fauxqs: sqsS3.server,
    dynamoDbPid: dynamodb.pid,
    stop: async () => {
      // The front first: it still reaches fauxqs while it finishes.
      await s3Front.stop();
      await Promise.allSettled([dynamodb.stop(), sqsS3.stop(), ses.stop()]);
    },
  };
}

/** Where public media is served, as the CloudFront distribution serves objects tagged public on AWS. */
export function publicMediaUrl(endpoints: Endpoints, bucket: string): string {
  return `${endpoints.s3}/_public/${bucket}`;
}

export function localClients(endpoints: Endpoints) {
  return {
    dynamodb: new DynamoDBClient({ endpoint: endpoints.dynamodb, ...LOCAL_AWS }),
    sqs: new SQSClient({ endpoint: endpoints.sqsS3, ...LOCAL_AWS, useQueueUrlAsEndpoint: false }),
    s3: new S3Client({ endpoint: endpoints.s3, ...LOCAL_AWS, forcePathStyle: true }),
    sns: new SNSClient({ endpoint: endpoints.sqsS3, ...LOCAL_AWS }),
    ses: new SESv2Client({ endpoint: endpoints.ses, ...LOCAL_AWS }),
  };
}

export interface Provisioned {
  queues: ProvisionedQueue[];
  sesEventTopicArn: string;
}

export async function provision(endpoints: Endpoints, names: { tableName: string; queuePrefix: string }): Promise<Provisioned> {
  const clients = localClients(endpoints);
  const own = stackNames(names.queuePrefix);
  try {
    await provisionTable(clients.dynamodb, names.tableName);
    await provisionBucket(clients.s3, LOCAL_MAIL.bucket);
    await provisionBucket(clients.s3, own.mediaBucket);
    const queues = await provisionQueues(clients.sqs, names.queuePrefix);
    await provisionBucketNotifications(clients.s3, own.mediaBucket, queues.find((q) => q.definition.name === 'storage-events')!, MEDIA_KEY_PREFIX);
    const eventsQueue = queues.find((q) => q.definition.name === 'ses-events')!;
    const sesEventTopicArn = await provisionSesEventTopic(clients.sns, own.sesEventTopic, eventsQueue);
    await provisionConfigurationSet(clients.ses, own.configurationSet, sesEventTopicArn, TRACKED_EVENT_TYPES);
    await provisionConfigurationSet(clients.ses, own.configurationSetUntracked, sesEventTopicArn, UNTRACKED_EVENT_TYPES);
    return { queues, sesEventTopicArn };
  } finally {
    for (const client of Object.values(clients)) client.destroy();
  }
}

export function packageVersion(): string {
  return JSON.parse(readFileSync(resolve(import.meta.dirname, '..', 'package.json'), 'utf8')).version;
}

/** Everything the functions read from their environment, as CDK sets it on AWS (secrets inline locally). */
export function functionEnvironment(options: {
  endpoints: Endpoints;
  tableName: string;
  /** The prefix the stack was provisioned with: it names the stack's media bucket and configuration sets. */
  queuePrefix: string;
  queues: ProvisionedQueue[];
  pepper: string;
  rootKey: string;
}): Record<string, string> {
  const own = stackNames(options.queuePrefix);
  return {
    ...awsEnvironment(options.endpoints),
    TABLE_NAME: options.tableName,
    ...Object.fromEntries(options.queues.map((q) => [q.definition.urlEnvVar, q.url])),
    MAILROOM_PEPPER: options.pepper,
    MAILROOM_ROOT_KEY: options.rootKey,
    MAILROOM_VERSION: packageVersion(),
    POWERTOOLS_SERVICE_NAME: 'mailroom',
    // EMF documents are for CloudWatch; offline they would only flood the console.
    POWERTOOLS_METRICS_DISABLED: 'true',
    MAIL_BUCKET: LOCAL_MAIL.bucket,
    MEDIA_BUCKET: own.mediaBucket,
    MEDIA_PUBLIC_URL: publicMediaUrl(options.endpoints, own.mediaBucket),
    SES_CONFIGURATION_SET: own.configurationSet,
    SES_CONFIGURATION_SET_UNTRACKED: own.configurationSetUntracked,
    DEFAULT_SENDING_DOMAIN: LOCAL_MAIL.defaultSendingDomain,
    // Receivers on a developer machine are plain HTTP on localhost; a deployment allows neither by default.
    WEBHOOK_ALLOW_HTTP: 'true',
    WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
    // The deployment's defaults (lib/auto-pause.ts), so a team pauses offline as it would on AWS.
    ...autoPauseEnvironment(DEFAULT_AUTO_PAUSE),
  };
}

export interface Services {
  api: ApiServer;
  pollers: QueuePollers;
  smtp: LocalSmtp;
  stepFunctions: LocalStepFunctions;
  stop(): Promise<void>;
}

/**
 * The API server and every queue consumer, in this process. Call after functionEnvironment() is applied;
 * sets PUBLIC_API_URL to this server unless it is configured.
 */
export async function startServices(options: {
  apiPort: number;
  /** SMTP port that receives mail like SES receiving (0 = any free port). */
  smtpPort?: number;
  endpoints: Endpoints;
  queues: ProvisionedQueue[];
  corsOrigins?: readonly string[];
  onWorkerError?: (error: unknown) => void;
  /** Step Functions (campaign enrolments): its port (0 = any free one), how much faster waits pass, where sleeping executions are kept. */
  stepFunctions?: { port: number; timeScale: number; stateFile?: string };
}): Promise<Services> {
  // The campaign state machine runs in this process, as the functions that start its executions do.
  const stepFunctions = await startStepFunctions(options.stepFunctions ?? { port: 0, timeScale: 1 });
  process.env.AWS_ENDPOINT_URL_SFN = stepFunctions.endpoint;
  process.env.CAMPAIGN_STATE_MACHINE_ARN = LOCAL_STATE_MACHINE_ARN;
  const api = await startApiServer({ port: options.apiPort, corsOrigins: options.corsOrigins });
  // Links in mail (one-click unsubscribe) point at this server, as they point at API Gateway on AWS.
  process.env.PUBLIC_API_URL ??= api.url;
  const { sqs, s3 } = localClients(options.endpoints);
  const smtp = await startSmtpServer({
    port: options.smtpPort ?? 0,
    s3,
    bucket: LOCAL_MAIL.bucket,
    prefix: 'inbound/',
    onReceipt: async (event) => {
      const receipt = await loadHandler<SESEvent, void>('functions/workers/inbound-receipt.ts');
      await receipt(event, lambdaContext('mailroom-inbound-receipt', 30));
    },
    onError: options.onWorkerError,
  });
  const pollers = startQueuePollers(
    sqs,
    options.queues.map((q) => ({
      name: q.definition.name,
      url: q.url,
      arn: q.arn,
      batchSize: q.definition.batchSize,
      timeoutSeconds: q.definition.consumerTimeoutSeconds,
      consumer: q.definition.consumer,
    })),
    { region: LOCAL_AWS.region, onError: options.onWorkerError },
  );
  return {
    api,
    pollers,
    smtp,
    stepFunctions,
    stop: async () => {
      await Promise.allSettled([api.close(), pollers.stop(), smtp.close(), stepFunctions.stop()]);
      sqs.destroy();
      s3.destroy();
    },
  };
}
