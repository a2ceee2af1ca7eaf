/** The benchmark's measuring rules (scripts/bench): round trips, percentiles, DynamoDB units, Step Functions transitions, bundling. */
import { describe, expect, it } from 'vitest';
import { consumedCapacity, itemBytes, roundTrips, waitingMs } from '../../scripts/bench/aws-calls.js';
import { stateTransitions } from '../../scripts/bench/cost.js';
import { esbuildOptions } from '../../scripts/bench/functions.js';
import { percentile } from '../../scripts/bench/result.js';
import { APP_FUNCTION_BUNDLING } from '../../lib/constructs/app-function.js';

const item = (bytes: number) => ({ pk: { S: 'k' }, data: { S: 'x'.repeat(bytes) } });

describe('roundTrips', () => {
  it('counts calls in flight together once and each later stage again', () => {
    const calls = [
      { start: 0, end: 10 },
      { start: 2, end: 8 },
      { start: 9, end: 15 },
      { start: 15, end: 20 },
      { start: 30, end: 31 },
    ];
    expect(roundTrips(calls)).toBe(3);
    expect(roundTrips([])).toBe(0);
  });
});

describe('waitingMs', () => {
  it('is the time at least one call was in flight, overlaps counted once', () => {
    expect(waitingMs([{ start: 0, end: 10 }, { start: 2, end: 8 }, { start: 9, end: 15 }, { start: 30, end: 31 }])).toBe(16);
    expect(waitingMs([])).toBe(0);
  });
});

describe('percentile', () => {
  it('takes the nearest rank: the p50 of an even count is the lower middle, the p99 of a few the largest', () => {
    expect(percentile([4, 1, 3, 2], 50)).toBe(2);
    expect(percentile([5, 1, 3], 50)).toBe(3);
    expect(percentile([4, 1, 3, 2], 99)).toBe(4);
    expect(percentile([], 50)).toBe(0);
  });
});

describe('itemBytes', () => {
  it('adds attribute names and values as DynamoDB sizes them', () => {
    expect(itemBytes({ pk: { S: 'abc' } })).toBe(5);
    expect(itemBytes({ n: { N: '12345' } })).toBe(1 + 4);
    expect(itemBytes({ m: { M: { a: { S: 'xy' } } } })).toBe(1 + 3 + (1 + 2 + 1));
    expect(itemBytes({ b: { B: Buffer.from('hello').toString('base64') } })).toBe(1 + 5);
  });
});

describe('consumedCapacity', () => {
  it('takes what DynamoDB reports for reads and plain writes', () => {
    expect(consumedCapacity('GetItem', {}, { ConsumedCapacity: { CapacityUnits: 0.5 } })).toEqual({ rcu: 0.5, wcu: 0 });
    expect(consumedCapacity('PutItem', { Item: item(3000) }, { ConsumedCapacity: { CapacityUnits: 3 } })).toEqual({ rcu: 0, wcu: 3 });
    expect(consumedCapacity('BatchGetItem', {}, { ConsumedCapacity: [{ CapacityUnits: 1 }, { CapacityUnits: 0.5 }] })).toEqual({ rcu: 1.5, wcu: 0 });
  });

  it('charges a read that finds nothing DynamoDB\'s minimum, which Local reports as 0', () => {
    const none = { ConsumedCapacity: { CapacityUnits: 0 } };
    expect(consumedCapacity('GetItem', { ConsistentRead: true }, none).rcu).toBe(1);
    expect(consumedCapacity('GetItem', {}, none).rcu).toBe(0.5);
    expect(consumedCapacity('Query', {}, none).rcu).toBe(0.5);
    const Keys = [{}, {}, {}];
    expect(consumedCapacity('BatchGetItem', { RequestItems: { t: { Keys, ConsistentRead: true } } }, { ConsumedCapacity: [{ CapacityUnits: 1 }] }).rcu).toBe(3);
    expect(consumedCapacity('BatchGetItem', { RequestItems: { t: { Keys, ConsistentRead: true } } }, { ConsumedCapacity: [{ CapacityUnits: 5 }] }).rcu).toBe(5);
  });

  it('charges every transaction item 2 units per KB, rounded up per item, when Local reports less', () => {
    const TransactItems = [{ Put: { Item: item(10) } }, { Put: { Item: item(10) } }, { Put: { Item: item(1500) } }, { Update: {} }];
    expect(consumedCapacity('TransactWriteItems', { TransactItems }, { ConsumedCapacity: [{ CapacityUnits: 2 }] }).wcu).toBe(2 * (1 + 1 + 2 + 1));
    expect(consumedCapacity('TransactWriteItems', { TransactItems }, { ConsumedCapacity: [{ CapacityUnits: 14 }] }).wcu).toBe(14);
  });

  it('charges a failed conditional write, which answers without ConsumedCapacity', () => {
    expect(consumedCapacity('PutItem', { Item: item(2500) }, undefined)).toEqual({ rcu: 0, wcu: 3 });
    expect(consumedCapacity('UpdateItem', {}, undefined)).toEqual({ rcu: 0, wcu: 1 });
    expect(consumedCapacity('GetItem', {}, undefined)).toEqual({ rcu: 0, wcu: 0 });
  });
});

describe('stateTransitions', () => {
  it('follows the campaign state machine from the step task to where the execution waits or ends', () => {
    expect(stateTransitions({ action: 'wait', wait_seconds: 60 })).toBe(3);
    expect(stateTransitions({ action: 'done' })).toBe(3);
  });
});

describe('esbuildOptions', () => {
  it("translates AppFunction's bundling as CDK does", () => {
    expect(esbuildOptions(APP_FUNCTION_BUNDLING)).toMatchObject({
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: APP_FUNCTION_BUNDLING.target,
      minify: true,
      sourcemap: true,
      sourcesContent: false,
      external: ['@aws-sdk/client-*'],
      conditions: ['mailroom-source', 'module'],
      banner: { js: APP_FUNCTION_BUNDLING.banner },
      outExtension: { '.js': '.mjs' },
    });
  });

  it('refuses an option it does not translate, so the benchmark cannot drift from the deployed bundles', () => {
    expect(() => esbuildOptions({ ...APP_FUNCTION_BUNDLING, keepNames: true })).toThrow(/keepNames/);
    expect(() => esbuildOptions({ ...APP_FUNCTION_BUNDLING, esbuildArgs: { '--tree-shaking': 'false' } })).toThrow(/--tree-shaking/);
  });
});
