import type { SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { backoffSeconds, QUEUES, queueByName, visibilityTimeoutSeconds } from '../../lib/queues.js';
import { succeededRecords } from '../../local/queue-poller.js';

const record = (messageId: string) => ({ messageId, receiptHandle: `rh-${messageId}` }) as SQSRecord;
const records = [record('a'), record('b'), record('c')];
const ids = (list: SQSRecord[]) => list.map((r) => r.messageId);

describe('succeededRecords (Lambda ReportBatchItemFailures rules)', () => {
  it('deletes every record when the consumer returns nothing or no failures', () => {
    expect(ids(succeededRecords(records, { result: undefined }))).toEqual(['a', 'b', 'c']);
    expect(ids(succeededRecords(records, { result: { batchItemFailures: [] } }))).toEqual(['a', 'b', 'c']);
  });

  it('keeps only the reported failures', () => {
    expect(ids(succeededRecords(records, { result: { batchItemFailures: [{ itemIdentifier: 'b' }] } }))).toEqual(['a', 'c']);
    expect(ids(succeededRecords(records, { result: { batchItemFailures: [{ itemIdentifier: 'a' }, { itemIdentifier: 'c' }] } }))).toEqual(['b']);
  });

  it('fails the whole batch on a thrown error', () => {
    expect(succeededRecords(records, { error: new Error('boom') })).toEqual([]);
  });

  it('fails the whole batch on an unknown or empty itemIdentifier', () => {
    expect(succeededRecords(records, { result: { batchItemFailures: [{ itemIdentifier: 'zzz' }] } })).toEqual([]);
    expect(succeededRecords(records, { result: { batchItemFailures: [{ itemIdentifier: 'a' }, { itemIdentifier: '' }] } })).toEqual([]);
  });
});

describe('queue definitions', () => {
  const purge = queueByName('team-purge');

  it('backs off exponentially from the base and caps at the maximum', () => {
    const q = { backoff: { baseSeconds: 10, maxSeconds: 900 } };
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => backoffSeconds(q, n))).toEqual([10, 20, 40, 80, 160, 320, 640]);
    expect(backoffSeconds(q, 8)).toBe(900);
    expect(backoffSeconds(q, 50)).toBe(900);
    expect(backoffSeconds(q, 0)).toBe(10);
  });

  it('sets the visibility timeout to six times the consumer timeout', () => {
    expect(visibilityTimeoutSeconds({ consumerTimeoutSeconds: 60 })).toBe(360);
    expect(visibilityTimeoutSeconds(purge)).toBe(purge.consumerTimeoutSeconds * 6);
  });

  it('keeps every queue within SQS limits (visibility ≤ 12 h, batch ≤ 10, backoff ≤ 12 h) with a DLQ after retries', () => {
    for (const q of QUEUES) {
      expect(visibilityTimeoutSeconds(q)).toBeLessThanOrEqual(12 * 3600);
      expect(q.batchSize).toBeGreaterThanOrEqual(1);
      expect(q.batchSize).toBeLessThanOrEqual(10);
      expect(q.backoff.maxSeconds).toBeLessThanOrEqual(12 * 3600);
      expect(q.maxReceiveCount).toBeGreaterThanOrEqual(2);
    }
  });
});
