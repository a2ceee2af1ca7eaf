/** Shared helpers for the single table: cursors and paging, and reads and plain puts sent together per burst of work. Entity modules own their key formats. */
import { ConditionalCheckFailedException, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, BatchWriteCommand, PutCommand, QueryCommand, UpdateCommand, type BatchGetCommandOutput, type BatchWriteCommandOutput, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../shared/clients.js';
import { config } from '../shared/config.js';
import { ApiError } from '../shared/errors.js';
import { idBoundary, type IdKind } from '../shared/ids.js';

import { TABLE_SCHEMA, type IndexName } from '../shared/table-schema.js';

export { TABLE_SCHEMA };

export const tableName = () => config.tableName;

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

export function encodeCursor(key: Record<string, unknown> | undefined): string | null {
  return key ? Buffer.from(JSON.stringify(key)).toString('base64url') : null;
}

/** A cursor is only valid for the collection it came from: anything else is a 400, never a scan elsewhere. */
export function decodeCursor(cursor: string | undefined, partitionAttr: string, partitionValue: string) {
  if (!cursor) return undefined;
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    key = undefined;
  }
  // A key DynamoDB would reject (values that are not strings, more attributes than a key has) is as invalid.
  const valid =
    key && typeof key === 'object' && !Array.isArray(key) && (key as Record<string, unknown>)[partitionAttr] === partitionValue &&
    Object.keys(key).length <= 4 && Object.values(key).every((value) => typeof value === 'string' && value.length > 0 && value.length <= 2048);
  if (!valid) {
    throw new ApiError('invalid_parameter', 'The cursor is invalid or belongs to another list.', { param: 'cursor' });
  }
  return key as Record<string, unknown>;
}

/**
 * What becomes of each query read before it is mapped: the items that belong on the page, in order, at most
 * as many as it was given (e.g. the full items behind a projected index's entries, some of them dropped).
 */
export type PageItems = (items: Record<string, unknown>[]) => Promise<Record<string, unknown>[]>;

/**
 * One page of a newest-first query. With a filter (DynamoDB's or `pageItems`), a read may yield fewer items than
 * asked for, so keep reading until the page is full or the collection ends. Every item a read returns is
 * consumed, so the cursor (the last key read) never skips or repeats one.
 */
export async function queryPage<T>(
  input: Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey' | 'Limit'>,
  options: { limit: number; cursor?: string; partitionAttr: string; partitionValue: string; pageItems?: PageItems },
  map: (item: Record<string, unknown>) => T,
): Promise<Page<T>> {
  const data: T[] = [];
  let startKey = decodeCursor(options.cursor, options.partitionAttr, options.partitionValue);
  let lastKey: Record<string, unknown> | undefined;
  do {
    const result = await documentClient.send(
      new QueryCommand({
        ...input,
        TableName: tableName(),
        ScanIndexForward: false,
        ExclusiveStartKey: startKey,
        Limit: options.limit - data.length,
      }),
    );
    const items = result.Items ?? [];
    for (const item of options.pageItems ? await options.pageItems(items) : items) data.push(map(item));
    lastKey = result.LastEvaluatedKey;
    startKey = lastKey;
  } while (lastKey && data.length < options.limit);
  return { data, next_cursor: encodeCursor(lastKey) };
}

/** A condition on the listed items: `path` (an attribute, or nested names) compared with `value`. */
export interface ItemFilter {
  path: string | string[];
  op: '=' | '>' | 'contains';
  value: unknown;
}

/**
 * One page of a collection, newest first: an owner's items on an index (byOwner, gsi1, unless told) or, with
 * `index: 'table'`, a partition of the table itself. Sort keys are time-sortable ids of `timeRange.kind`,
 * so a time range is a key range; filters are applied by DynamoDB after the key condition, so on an index
 * that does not project ALL they may only read its projected attributes.
 */
export function listCollection<T>(
  query: { partition: string; index?: IndexName | 'table'; timeRange?: { kind: IdKind; since?: string; until?: string }; sortPrefix?: string; filters?: ItemFilter[] },
  options: { limit: number; cursor?: string; pageItems?: PageItems },
  map: (item: Record<string, unknown>) => T,
): Promise<Page<T>> {
  const keys =
    query.index === 'table' ? { indexName: undefined, partitionKey: TABLE_SCHEMA.partitionKey, sortKey: TABLE_SCHEMA.sortKey } : TABLE_SCHEMA.indexes[query.index ?? 'byOwner'];
  const names: Record<string, string> = { '#pk': keys.partitionKey };
  const values: Record<string, unknown> = { ':pk': query.partition };
  let keyCondition = '#pk = :pk';
  const range = query.timeRange;
  if (range && (range.since || range.until)) {
    // DynamoDB rejects expression names the expressions do not use: declare #sk only with a time range.
    names['#sk'] = keys.sortKey;
    values[':from'] = idBoundary(range.kind, range.since ? Date.parse(range.since) : 0, 'low');
    values[':to'] = idBoundary(range.kind, Date.parse(range.until ?? '9999-12-31T23:59:59.999Z'), 'high');
    keyCondition += ' AND #sk BETWEEN :from AND :to';
  } else if (query.sortPrefix) {
    // One kind of item in a partition that holds several (a contact's events next to its enrolments).
    names['#sk'] = keys.sortKey;
    values[':prefix'] = query.sortPrefix;
    keyCondition += ' AND begins_with(#sk, :prefix)';
  }
  const conditions = (query.filters ?? []).map((filter, i) => {
    const path = [filter.path]
      .flat()
      .map((segment, j) => {
        names[`#f${i}_${j}`] = segment;
        return `#f${i}_${j}`;
      })
      .join('.');
    values[`:f${i}`] = filter.value;
    return filter.op === 'contains' ? `contains(${path}, :f${i})` : `${path} ${filter.op} :f${i}`;
  });
  return queryPage(
    {
      ...(keys.indexName && { IndexName: keys.indexName }),
      KeyConditionExpression: keyCondition,
      ...(conditions.length && { FilterExpression: conditions.join(' AND ') }),
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    },
    { ...options, partitionAttr: keys.partitionKey, partitionValue: query.partition },
    map,
  );
}

/**
 * The Put of a new item that is listed in its owner's collection (on `owner.index`, byOwner unless told, sorted
 * by `sortKey`); it fails if the key is taken, so a retried create never overwrites. Nulls are stored as absent.
 */
export function newOwnedItemPut(key: { pk: string; sk: string }, owner: { partition: string; sortKey: string; index?: IndexName }, item: object) {
  const index = TABLE_SCHEMA.indexes[owner.index ?? 'byOwner'];
  return {
    TableName: tableName(),
    Item: withoutNulls({ ...key, [index.partitionKey]: owner.partition, [index.sortKey]: owner.sortKey, ...item }),
    ConditionExpression: 'attribute_not_exists(pk)',
  };
}

/** An owner's whole collection on the byOwner index, newest first: most list endpoints. */
export function listOwnerCollection<T>(partition: string, options: { limit: number; cursor?: string }, map: (item: Record<string, unknown>) => T): Promise<Page<T>> {
  return listCollection({ partition }, options, map);
}

/** Every item a query matches, all pages read (for small, bounded collections). */
export async function queryAll(input: Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey'>): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await documentClient.send(new QueryCommand({ ...input, TableName: tableName(), ExclusiveStartKey: startKey }));
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}

/** Every item of one partition whose sort key starts with `prefix`, in sort-key order (all pages). */
export function queryAllWithPrefix(pk: string, prefix: string): Promise<Record<string, unknown>[]> {
  return queryAll({ KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)', ExpressionAttributeValues: { ':pk': pk, ':prefix': prefix } });
}

/** How many items an owner's collection holds (a count on the byOwner index; reads every key once). */
export async function countOwnerCollection(partition: string): Promise<number> {
  const { byOwner } = TABLE_SCHEMA.indexes;
  let count = 0;
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await documentClient.send(
      new QueryCommand({
        TableName: tableName(),
        IndexName: byOwner.indexName,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': byOwner.partitionKey },
        ExpressionAttributeValues: { ':pk': partition },
        Select: 'COUNT',
        ExclusiveStartKey: startKey,
      }),
    );
    count += page.Count ?? 0;
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return count;
}

/** One item by its key, read consistently (undefined: there is none), together with other reads (batchGetAll). */
export async function getItem(key: Record<string, unknown>): Promise<Record<string, unknown> | undefined> {
  const [item] = await batchGetAll([key]);
  return item;
}

export const nowIso = (now = Date.now()) => new Date(now).toISOString();
export const epochSeconds = (now = Date.now()) => Math.floor(now / 1000);

/** Null means "absent" in the API; store it as a missing attribute so attribute_not_exists() works. */
export function withoutNulls<T extends Record<string, unknown>>(item: T): T {
  return Object.fromEntries(Object.entries(item).filter(([, value]) => value !== null && value !== undefined)) as T;
}

export type VersionedUpdateResult =
  | { ok: true; item: Record<string, unknown> }
  | { ok: false; old: Record<string, AttributeValue> | undefined };

export interface VersionedUpdateInput {
  key: Record<string, string>;
  changes: Record<string, unknown>;
  condition: { expression: string; names: Record<string, string>; values: Record<string, unknown> };
  expectedVersion?: number;
}

/**
 * The Update of a partial change with optimistic concurrency: SETs the given fields, REMOVEs the null ones and
 * bumps `version`, if `condition` holds and (when given) `version` still equals `expectedVersion` (If-Match).
 * Exported for transactions that must change another item in step (see versionedUpdate for a lone item).
 */
export function versionedUpdateItem(input: VersionedUpdateInput) {
  const names: Record<string, string> = { ...input.condition.names, '#version': 'version' };
  const values: Record<string, unknown> = { ...input.condition.values, ':one': 1 };
  const sets: string[] = [];
  const removes: string[] = [];
  for (const [field, value] of Object.entries(input.changes)) {
    if (value === undefined) continue;
    names[`#f_${field}`] = field;
    if (value === null) removes.push(`#f_${field}`);
    else {
      values[`:f_${field}`] = value;
      sets.push(`#f_${field} = :f_${field}`);
    }
  }
  let condition = input.condition.expression;
  if (input.expectedVersion !== undefined) {
    condition = `(${condition}) AND #version = :expected`;
    values[':expected'] = input.expectedVersion;
  }
  const expression = [sets.length ? `SET ${sets.join(', ')}` : '', 'ADD #version :one', removes.length ? `REMOVE ${removes.join(', ')}` : '']
    .filter(Boolean)
    .join(' ');
  return {
    TableName: tableName(),
    Key: input.key,
    UpdateExpression: expression,
    ConditionExpression: condition,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}

/**
 * versionedUpdateItem() on one item. On a failed condition it returns the item as it was, so the caller can
 * tell "gone" from "stale".
 */
export async function versionedUpdate(input: VersionedUpdateInput): Promise<VersionedUpdateResult> {
  try {
    const { Attributes } = await documentClient.send(
      new UpdateCommand({ ...versionedUpdateItem(input), ReturnValues: 'ALL_NEW', ReturnValuesOnConditionCheckFailure: 'ALL_OLD' }),
    );
    return { ok: true, item: Attributes! };
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return { ok: false, old: error.Item };
    throw error;
  }
}

/** An Update whose condition may fail: true if it was applied, false if the condition did not hold. */
export async function conditionalUpdate(input: ConstructorParameters<typeof UpdateCommand>[0]): Promise<boolean> {
  try {
    await documentClient.send(new UpdateCommand(input));
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}

/**
 * Requests made in the same burst of work (before the event loop turns to I/O or timers) sent as one call:
 * `together` answers them all at once; if it fails, each is sent again `alone`, one after the other in the order
 * asked (two puts of one key end as the later one), so one request's bad input or bad luck never becomes another's
 * error. A request that is alone in its burst is sent alone.
 */
function sentPerBurst<Request, Answer>(together: (requests: Request[]) => Promise<Answer[]>, alone: (request: Request) => Promise<Answer>): (request: Request) => Promise<Answer> {
  type Waiting = { request: Request; resolve(answer: Answer): void; reject(error: unknown): void };
  let waiting: Waiting[] | undefined;
  const send = async () => {
    const burst = waiting!;
    waiting = undefined;
    const answers = burst.length > 1 ? await together(burst.map((w) => w.request)).catch(() => undefined) : undefined;
    for (const [i, w] of burst.entries()) {
      if (answers) w.resolve(answers[i]!);
      else await alone(w.request).then(w.resolve, w.reject);
    }
  };
  return (request) =>
    new Promise((resolve, reject) => {
      if (!waiting) {
        waiting = [];
        // A tick queued from a microtask runs once every promise reaction pending has run: as soon as the burst's
        // requests are all known, without waiting for the event loop's next phase.
        queueMicrotask(() => process.nextTick(send));
      }
      waiting.push({ request, resolve, reject });
    });
}

type Item = Record<string, unknown>;
const keyId = (item: Item) => JSON.stringify([item[TABLE_SCHEMA.partitionKey], item[TABLE_SCHEMA.sortKey]]);
const uniqueKeys = (keys: Item[]) => [...new Map(keys.map((key) => [keyId(key), key])).values()];

const readPerBurst = sentPerBurst<Item[], Item[]>(
  async (requests) => {
    const found = new Map((await batchGetNow(uniqueKeys(requests.flat()))).map((item) => [keyId(item), item]));
    return requests.map((keys) => uniqueKeys(keys).flatMap((key) => found.get(keyId(key)) ?? []) as Item[]);
  },
  (keys) => batchGetNow(uniqueKeys(keys)),
);

/**
 * Every item of `keys` that exists (consistent reads). Reads asked for in the same burst of work go to DynamoDB
 * together: a request's independent lookups (its API key, its team, its recipients' suppressions) cost one
 * BatchGetItem instead of one call each, for the same read units.
 */
export function batchGetAll(keys: Item[]): Promise<Item[]> {
  return keys.length ? readPerBurst(keys) : Promise.resolve([]);
}

const putPerBurst = sentPerBurst<Item, void>(
  async (items) => {
    await batchWriteAll(items.map((item) => ({ PutRequest: { Item: item } })));
    return items.map(() => undefined);
  },
  async (item) => {
    await documentClient.send(new PutCommand({ TableName: tableName(), Item: item }));
  },
);

/**
 * Writes the whole item, with no condition: for items under a key no other write uses (a fresh id) or that are
 * replaced whole. Puts asked for in the same burst of work go out as one BatchWriteItem (a request's new resource
 * and its audit entry: one call, the same write units).
 */
export function putItem(item: Item): Promise<void> {
  return putPerBurst(item);
}

/**
 * 100 keys per BatchGetItem. Keys DynamoDB hands back unprocessed (throttling, or more than 16 MB) are asked for
 * again with backoff; still unprocessed after that, it throws.
 */
async function batchGetNow(keys: Record<string, unknown>[]): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  for (let i = 0; i < keys.length; i += 100) {
    let pending: Record<string, unknown>[] | undefined = keys.slice(i, i + 100);
    for (let attempt = 0; pending?.length && attempt < 5; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** (attempt - 1)));
      const result: BatchGetCommandOutput = await documentClient.send(new BatchGetCommand({ RequestItems: { [tableName()]: { Keys: pending, ConsistentRead: true } } }));
      items.push(...(result.Responses?.[tableName()] ?? []));
      pending = result.UnprocessedKeys?.[tableName()]?.Keys;
    }
    if (pending?.length) throw Object.assign(new Error('BatchGetItem kept returning unprocessed keys'), { name: 'ThrottlingException' });
  }
  return items;
}

/** The table items behind index entries (consistent reads), in the entries' order; an entry whose item is gone is left out. */
export async function itemsOfIndexEntries(entries: Record<string, unknown>[]): Promise<Record<string, unknown>[]> {
  const { partitionKey, sortKey } = TABLE_SCHEMA;
  const keyOf = (item: Record<string, unknown>) => JSON.stringify([item[partitionKey], item[sortKey]]);
  const items = new Map((await batchGetAll(entries.map((entry) => ({ [partitionKey]: entry[partitionKey], [sortKey]: entry[sortKey] })))).map((item) => [keyOf(item), item]));
  return entries.flatMap<Record<string, unknown>>((entry) => items.get(keyOf(entry)) ?? []);
}

type WriteRequest = { PutRequest: { Item: Record<string, unknown> } } | { DeleteRequest: { Key: Record<string, unknown> } };

/**
 * Puts and deletes, 25 per BatchWriteItem. Requests DynamoDB hands back unprocessed (throttling) are sent
 * again with backoff; still unprocessed after that, it throws (nothing is silently dropped).
 */
export async function batchWriteAll(requests: WriteRequest[]): Promise<void> {
  for (let i = 0; i < requests.length; i += 25) {
    let pending: WriteRequest[] | undefined = requests.slice(i, i + 25);
    for (let attempt = 0; pending?.length && attempt < 5; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** (attempt - 1)));
      const result: BatchWriteCommandOutput = await documentClient.send(new BatchWriteCommand({ RequestItems: { [tableName()]: pending } }));
      pending = result.UnprocessedItems?.[tableName()] as WriteRequest[] | undefined;
    }
    if (pending?.length) throw Object.assign(new Error('BatchWriteItem kept returning unprocessed items'), { name: 'ThrottlingException' });
  }
}

/** Deletes every item of a partition (reading keys only), one page of up to 1 MB of keys at a time. */
export async function deletePartition(pk: string): Promise<number> {
  let deleted = 0;
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await documentClient.send(
      new QueryCommand({ TableName: tableName(), KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': pk }, ProjectionExpression: 'pk, sk', ExclusiveStartKey: startKey }),
    );
    const keys = page.Items ?? [];
    await batchWriteAll(keys.map((Key) => ({ DeleteRequest: { Key } })));
    deleted += keys.length;
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return deleted;
}
