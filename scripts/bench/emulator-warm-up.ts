/**
 * DynamoDB Local is a JVM: its just-in-time compiler makes it faster over its first ten thousand or so calls (about
 * 3 ms per call at first, about 1 ms once compiled, on 2 cores). DynamoDB on AWS has no such warm-up, so a handler
 * timed against a cold emulator would be charged the emulator's compile time. Before any operation runs,
 * this sends the kinds of calls the functions make (conditional puts that write both indexes, batch puts, updates
 * with conditions, counters and returned values, single and batch consistent reads, queries of the table and an
 * index) to a scratch table with the real table's shape, round after round, until rounds stop getting faster.
 * Nothing here is measured or priced: the calls go through their own client, not the functions'.
 */
import { BatchGetItemCommand, BatchWriteItemCommand, DeleteTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand, QueryCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { LOCAL_AWS } from '../../local/aws-env.js';
import { provisionTable } from '../../local/provision.js';
import { TABLE_SCHEMA } from '../../functions/shared/table-schema.js';
import { percentile, type EmulatorWarmUp } from './result.js';

const SCRATCH_TABLE = 'mailroom-bench-warm-up';
const CALLS_PER_ROUND = 600;
/** In flight at once, as a handler's parallel reads and writes are. */
const CONCURRENCY = 3;
/** A round counts as faster only by this much; the warm-up stops after this many rounds that were not. */
const SETTLED_GAIN = 0.05;
const SETTLED_AFTER = 3;
/** Round-to-round noise can look settled early: handler times kept falling up to about this many calls on 2 cores. */
const MIN_CALLS = 10_000;
const MAX_ROUNDS = 40;

export async function warmUpDynamoDb(endpoint: string): Promise<EmulatorWarmUp> {
  const client = new DynamoDBClient({ endpoint, ...LOCAL_AWS });
  const started = performance.now();
  try {
    await provisionTable(client, SCRATCH_TABLE);
    const call = scratchCalls(client);
    let calls = 0;
    let best = Infinity;
    let unimproved = 0;
    const p50s: number[] = [];
    while ((unimproved < SETTLED_AFTER || calls < MIN_CALLS) && p50s.length < MAX_ROUNDS) {
      const times: number[] = [];
      const roundEnd = calls + CALLS_PER_ROUND;
      const worker = async () => {
        while (calls < roundEnd) {
          const n = calls++;
          const start = performance.now();
          await call(n);
          times.push(performance.now() - start);
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
      const p50 = percentile(times, 50);
      p50s.push(p50);
      if (p50 < best * (1 - SETTLED_GAIN)) unimproved = 0;
      else unimproved++;
      best = Math.min(best, p50);
    }
    return { calls, seconds: (performance.now() - started) / 1000, firstP50Ms: p50s[0]!, lastP50Ms: p50s.at(-1)! };
  } finally {
    await client.send(new DeleteTableCommand({ TableName: SCRATCH_TABLE })).catch(() => undefined);
    client.destroy();
  }
}

/** Call `n` of the mix: each kind in turn, over a few hundred items in a few dozen partitions. */
function scratchCalls(client: DynamoDBClient): (n: number) => Promise<unknown> {
  const { partitionKey: pk, sortKey: sk, indexes } = TABLE_SCHEMA;
  const { byOwner, emailsByTeam } = indexes;
  const TableName = SCRATCH_TABLE;
  const key = (n: number, kind = 'WARM') => ({ [pk]: { S: `${kind}#${n % 40}` }, [sk]: { S: `ITEM#${n % 400}` } });
  const kinds: ((n: number) => Promise<unknown>)[] = [
    (n) =>
      client.send(
        new PutItemCommand({
          TableName,
          Item: {
            ...key(n),
            [byOwner.partitionKey]: { S: `OWNER#${n % 40}` },
            [byOwner.sortKey]: { S: String(n).padStart(12, '0') },
            [emailsByTeam.partitionKey]: { S: `TEAM#${n % 40}` },
            [emailsByTeam.sortKey]: { S: String(n).padStart(12, '0') },
            version: { N: String(n) },
            subject: { S: `Warm-up ${n}` },
            recipient_addresses: { SS: [`to${n}@example.com`] },
            body: { S: 'x'.repeat(400) },
          },
          ConditionExpression: `attribute_not_exists(${pk}) OR #version < :version`,
          ExpressionAttributeNames: { '#version': 'version' },
          ExpressionAttributeValues: { ':version': { N: String(n) } },
        }),
      ),
    (n) => client.send(new GetItemCommand({ TableName, Key: key(n), ConsistentRead: true })),
    (n) =>
      client.send(
        new UpdateItemCommand({
          TableName,
          Key: key(n + 1),
          UpdateExpression: 'SET #status = :status, #version = if_not_exists(#version, :zero) ADD #count :one',
          ConditionExpression: `attribute_not_exists(#status) OR #status <> :never`,
          ExpressionAttributeNames: { '#status': 'status', '#version': 'version', '#count': 'count' },
          ExpressionAttributeValues: { ':status': { S: 'sent' }, ':zero': { N: '0' }, ':one': { N: '1' }, ':never': { S: 'never' } },
          ReturnValues: 'ALL_NEW',
        }),
      ),
    (n) => client.send(new BatchGetItemCommand({ RequestItems: { [TableName]: { Keys: [key(n), key(n + 7), key(n + 13)], ConsistentRead: true } } })),
    (n) =>
      client.send(
        new BatchWriteItemCommand({
          RequestItems: { [TableName]: [{ PutRequest: { Item: { ...key(n, 'BATCH'), body: { S: 'x'.repeat(300) } } } }, { PutRequest: { Item: { ...key(n + 1, 'BATCH'), count: { N: '1' } } } }] },
        }),
      ),
    (n) =>
      client.send(
        new UpdateItemCommand({
          TableName,
          Key: key(n, 'COUNT'),
          UpdateExpression: 'ADD #count :one SET #expires = if_not_exists(#expires, :expires)',
          ExpressionAttributeNames: { '#count': 'count', '#expires': TABLE_SCHEMA.ttlAttribute },
          ExpressionAttributeValues: { ':one': { N: '1' }, ':expires': { N: String(n) } },
          ReturnValues: 'UPDATED_NEW',
        }),
      ),
    (n) =>
      client.send(
        new QueryCommand({
          TableName,
          KeyConditionExpression: `${pk} = :pk AND begins_with(${sk}, :prefix)`,
          ExpressionAttributeValues: { ':pk': key(n)[pk]!, ':prefix': { S: 'ITEM#1' } },
          Limit: 10,
        }),
      ),
    (n) =>
      client.send(
        new QueryCommand({
          TableName,
          IndexName: emailsByTeam.indexName,
          KeyConditionExpression: `${emailsByTeam.partitionKey} = :pk`,
          ExpressionAttributeValues: { ':pk': { S: `TEAM#${n % 40}` } },
          ScanIndexForward: false,
          Limit: 10,
        }),
      ),
  ];
  return (n) => kinds[n % kinds.length]!(n);
}
