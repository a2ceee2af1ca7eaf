/**
 * Background queues: the one list both CDK (lib/constructs/work-queue.ts) and the local runtime
 * (local/queue-poller.ts) build from. Every queue has a DLQ; its consumer reports partial batch failures
 * and backs failed records off exponentially (functions/shared/queue/consumer.ts).
 */
import type { Capability } from './routes.js';

export interface QueueDefinition {
  /** Logical name; locally also the physical name (prefixed). */
  name: string;
  /** Worker module (exports `handler`). */
  consumer: string;
  /** Env var that carries the queue URL to producers and the consumer. */
  urlEnvVar: string;
  consumerTimeoutSeconds: number;
  batchSize: number;
  /** Deliveries before a message moves to the DLQ. */
  maxReceiveCount: number;
  retentionDays: number;
  /** Redelivery delay after a failure: base × 2^(attempt-1), capped. */
  backoff: { baseSeconds: number; maxSeconds: number };
  /** Queues the consumer sends to (its own, for delayed re-sends) and the AWS capabilities it needs. */
  sendsTo?: readonly string[];
  uses?: readonly Capability[];
  /** Upper bound on concurrent consumer instances (the event source's maximum concurrency, ≥ 2). */
  maxConcurrency?: number;
}

export const QUEUES = [
  {
    name: 'team-purge',
    consumer: 'functions/workers/team-purge.ts',
    urlEnvVar: 'TEAM_PURGE_QUEUE_URL',
    consumerTimeoutSeconds: 60,
    batchSize: 10,
    maxReceiveCount: 5,
    retentionDays: 14,
    backoff: { baseSeconds: 10, maxSeconds: 900 },
    sendsTo: ['storage-sweep'],
    uses: ['ses-identities', 'mail-store-purge'],
  },
  {
    // Outgoing mail: one message per email; also carries scheduled sends until they are due.
    name: 'send',
    consumer: 'functions/workers/sender.ts',
    urlEnvVar: 'SEND_QUEUE_URL',
    consumerTimeoutSeconds: 60,
    batchSize: 10,
    maxReceiveCount: 8,
    retentionDays: 14,
    backoff: { baseSeconds: 5, maxSeconds: 900 },
    sendsTo: ['send', 'webhook-fanout'],
    uses: ['mail-store-read', 'ses-send'],
    maxConcurrency: 2,
  },
  {
    // SES configuration-set events (SNS raw delivery: the body is the SES event record).
    name: 'ses-events',
    consumer: 'functions/workers/ses-events.ts',
    urlEnvVar: 'SES_EVENTS_QUEUE_URL',
    consumerTimeoutSeconds: 30,
    batchSize: 10,
    maxReceiveCount: 5,
    retentionDays: 14,
    backoff: { baseSeconds: 5, maxSeconds: 600 },
    sendsTo: ['webhook-fanout'],
  },
  {
    // Received mail: one message per SES receipt (the raw MIME is already in S3). Large messages (up to
    // SES's 40 MB) take a while to parse, hence small batches and a long timeout.
    name: 'inbound',
    consumer: 'functions/workers/inbound.ts',
    urlEnvVar: 'INBOUND_QUEUE_URL',
    consumerTimeoutSeconds: 120,
    batchSize: 2,
    maxReceiveCount: 5,
    retentionDays: 14,
    backoff: { baseSeconds: 10, maxSeconds: 900 },
    sendsTo: ['webhook-fanout'],
    uses: ['mail-store-read', 'mail-store-write'],
  },
  {
    // Platform events (one message each): finds the team's webhooks that want it and queues one delivery per webhook.
    name: 'webhook-fanout',
    consumer: 'functions/workers/webhook-fanout.ts',
    urlEnvVar: 'WEBHOOK_FANOUT_QUEUE_URL',
    consumerTimeoutSeconds: 30,
    batchSize: 10,
    maxReceiveCount: 5,
    retentionDays: 14,
    backoff: { baseSeconds: 5, maxSeconds: 300 },
    sendsTo: ['webhook-delivery'],
  },
  {
    // One message per (webhook, event). A failed attempt keeps its message, hidden until the next retry in the
    // schedule (up to 10 h, within SQS's 12 h visibility cap); after the last attempt it moves to the DLQ.
    name: 'webhook-delivery',
    consumer: 'functions/workers/webhook-delivery.ts',
    urlEnvVar: 'WEBHOOK_DELIVERY_QUEUE_URL',
    // A batch's requests run concurrently, each capped at 15 s.
    consumerTimeoutSeconds: 40,
    batchSize: 10,
    maxReceiveCount: 8,
    retentionDays: 14,
    backoff: { baseSeconds: 5, maxSeconds: 36_000 },
    sendsTo: ['webhook-fanout'],
    uses: ['pepper'],
    maxConcurrency: 20,
  },
  {
    // S3 event notifications of the media bucket (ObjectCreated/ObjectRemoved): storage usage, public tags.
    name: 'storage-events',
    consumer: 'functions/workers/storage-events.ts',
    urlEnvVar: 'STORAGE_EVENTS_QUEUE_URL',
    consumerTimeoutSeconds: 30,
    batchSize: 10,
    maxReceiveCount: 8,
    retentionDays: 14,
    backoff: { baseSeconds: 2, maxSeconds: 300 },
    uses: ['media-read', 'media-write'],
  },
  {
    // Work over all objects of a bucket (emptying after a forced delete, re-tagging after a visibility change),
    // one page per message: each page re-queues the next.
    name: 'storage-sweep',
    consumer: 'functions/workers/storage-sweep.ts',
    urlEnvVar: 'STORAGE_SWEEP_QUEUE_URL',
    consumerTimeoutSeconds: 120,
    batchSize: 1,
    maxReceiveCount: 5,
    retentionDays: 14,
    backoff: { baseSeconds: 10, maxSeconds: 900 },
    sendsTo: ['storage-sweep'],
    uses: ['media-read', 'media-write', 'media-delete'],
  },
  {
    // A deleted list's memberships, a page per message (each page re-queues the next), then the list item.
    name: 'list-sweep',
    consumer: 'functions/workers/list-sweep.ts',
    urlEnvVar: 'LIST_SWEEP_QUEUE_URL',
    consumerTimeoutSeconds: 120,
    batchSize: 1,
    maxReceiveCount: 5,
    retentionDays: 14,
    backoff: { baseSeconds: 10, maxSeconds: 900 },
    sendsTo: ['list-sweep'],
  },
  {
    // Contact imports (POST /v1/contacts/import): one message per chunk of rows; each chunk queues the next once
    // it has moved the job's checkpoint on, so chunks of one import run one after the other.
    name: 'contact-import',
    consumer: 'functions/workers/contact-import.ts',
    urlEnvVar: 'CONTACT_IMPORT_QUEUE_URL',
    consumerTimeoutSeconds: 120,
    batchSize: 1,
    maxReceiveCount: 5,
    retentionDays: 14,
    backoff: { baseSeconds: 10, maxSeconds: 900 },
    sendsTo: ['contact-import', 'webhook-fanout'],
    uses: ['media-read'],
  },
  {
    // Broadcast fan-out: one message per page of the segment (50 contacts); each page moves the campaign's
    // checkpoint on, then queues the next, delayed so the fan-out stays under the SES send rate.
    name: 'broadcast',
    consumer: 'functions/workers/broadcast.ts',
    urlEnvVar: 'BROADCAST_QUEUE_URL',
    consumerTimeoutSeconds: 60,
    batchSize: 1,
    maxReceiveCount: 8,
    retentionDays: 14,
    backoff: { baseSeconds: 5, maxSeconds: 600 },
    sendsTo: ['broadcast', 'send'],
    uses: ['mail-store-write'],
  },
] as const satisfies readonly QueueDefinition[];

export type QueueName = (typeof QUEUES)[number]['name'];

export function queueByName(name: QueueName): QueueDefinition {
  return (QUEUES as readonly QueueDefinition[]).find((q) => q.name === name)!;
}

/** AWS asks for at least 6× the consumer timeout so a slow batch is not redelivered while still running. */
export const visibilityTimeoutSeconds = (queue: Pick<QueueDefinition, 'consumerTimeoutSeconds'>) => queue.consumerTimeoutSeconds * 6;

export function backoffSeconds(queue: Pick<QueueDefinition, 'backoff'>, attempt: number): number {
  return Math.min(queue.backoff.maxSeconds, queue.backoff.baseSeconds * 2 ** Math.max(0, attempt - 1));
}
