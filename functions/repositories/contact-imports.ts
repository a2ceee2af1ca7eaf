/**
 * Contact imports. Access patterns: create a job; get one by id (checked against the team); list a team's
 * newest first; advance a job's checkpoint once per chunk, only from the checkpoint the chunk was read at (so a
 * redelivered chunk never counts twice); record that the next chunk was queued; fail a job; write a chunk's
 * row errors; list a job's errors in row order.
 *   job:   pk CONTACTIMPORT#<id> sk JOB   gsi1pk TEAM#<team>#CONTACTIMPORTS gsi1sk <id>
 *          seq (chunks counted so far), bytes_read (the byte the next chunk starts at), dispatched_seq (the
 *          last chunk known to be queued), columns (the CSV header), etag (the object version being read)
 *   error: pk CONTACTIMPORT#<id> sk ERROR#<row, 10 digits>#<n, 2 digits>   row, email, field, message
 * Both carry `expires_at` (the table's TTL attribute), IMPORT_RETENTION_DAYS after the job started: row errors
 * and the job's error sample quote addresses, so they must not outlive an erasure by long. DynamoDB deletes
 * expired items within days, so reads treat an expired job as gone already.
 */
import { QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { documentClient } from '../shared/clients.js';
import { notFound } from '../shared/errors.js';
import type { ContactImport, ImportFormat, ImportRowCounts, ImportRowError, ImportStatus } from '../schemas/contact-imports.js';
import { IMPORT_ERRORS_SAMPLE, IMPORT_RETENTION_DAYS } from '../schemas/contact-imports.js';
import { batchWriteAll, conditionalUpdate, decodeCursor, encodeCursor, listOwnerCollection, newOwnedItemPut, nowIso, tableName, TABLE_SCHEMA, type Page, getItem } from './table.js';
import { teamIsActiveCondition } from './teams.js';

const jobKey = (id: string) => ({ pk: `CONTACTIMPORT#${id}`, sk: 'JOB' });
const ERROR_PREFIX = 'ERROR#';
const errorKey = (id: string, row: number, n: number) => ({ pk: `CONTACTIMPORT#${id}`, sk: `${ERROR_PREFIX}${String(row).padStart(10, '0')}#${String(n).padStart(2, '0')}` });
const teamImportsPartition = (teamId: string) => `TEAM#${teamId}#CONTACTIMPORTS`;
const ACTIVE: ImportStatus[] = ['queued', 'running'];

/** A job as stored: the API view plus where the worker is. */
export interface StoredImport extends ContactImport {
  team_id: string;
  physical_key: string;
  etag: string;
  seq: number;
  dispatched_seq: number;
  columns?: string[];
}

const COUNTERS = ['created', 'updated', 'unchanged', 'failed'] as const;

function toImport(raw: Record<string, unknown>): StoredImport {
  const i = raw as unknown as StoredImport & Record<(typeof COUNTERS)[number], number | undefined> & { expires_at: number };
  const counts = Object.fromEntries(COUNTERS.map((name) => [name, Number(i[name] ?? 0)])) as Omit<ImportRowCounts, 'total_so_far'>;
  return {
    id: i.id,
    team_id: i.team_id,
    status: i.status,
    bucket: i.bucket,
    key: i.key,
    format: i.format,
    tags: i.tags ?? [],
    source: i.source ?? null,
    size_bytes: i.size_bytes,
    bytes_read: i.bytes_read ?? 0,
    rows: { total_so_far: COUNTERS.reduce((sum, name) => sum + counts[name], 0), ...counts },
    errors_sample: i.errors_sample ?? [],
    error: i.error ?? null,
    created_at: i.created_at,
    updated_at: i.updated_at,
    finished_at: i.finished_at ?? null,
    expires_at: new Date(i.expires_at * 1000).toISOString(),
    physical_key: i.physical_key,
    etag: i.etag,
    seq: i.seq,
    dispatched_seq: i.dispatched_seq,
    ...(i.columns && { columns: i.columns }),
  };
}

const expired = (item: Record<string, unknown>) => Number(item.expires_at) * 1000 <= Date.now();

export interface NewImport {
  id: string;
  bucket: string;
  key: string;
  format: ImportFormat;
  tags: string[];
  source: string | null;
  physicalKey: string;
  etag: string;
  size: number;
}

export async function createImport(teamId: string, job: NewImport): Promise<StoredImport> {
  const now = Date.now();
  const item = {
    id: job.id,
    team_id: teamId,
    status: 'queued',
    bucket: job.bucket,
    key: job.key,
    format: job.format,
    tags: job.tags,
    source: job.source,
    size_bytes: job.size,
    bytes_read: 0,
    errors_sample: [],
    created_at: nowIso(now),
    updated_at: nowIso(now),
    expires_at: Math.floor(now / 1000) + IMPORT_RETENTION_DAYS * 24 * 3600,
    physical_key: job.physicalKey,
    etag: job.etag,
    seq: 0,
    dispatched_seq: 0,
  };
  try {
    await documentClient.send(
      new TransactWriteCommand({
        TransactItems: [teamIsActiveCondition(teamId), { Put: newOwnedItemPut(jobKey(job.id), { partition: teamImportsPartition(teamId), sortKey: job.id }, item) }],
      }),
    );
  } catch (error) {
    if (error instanceof TransactionCanceledException && error.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed') throw notFound('Team');
    throw error;
  }
  return toImport(item);
}

/** The job, whoever owns it (the worker checks the team against its message); undefined once expired. */
export async function findImport(id: string): Promise<StoredImport | undefined> {
  const Item = await getItem(jobKey(id));
  return Item && !expired(Item) ? toImport(Item) : undefined;
}

export async function getTeamImport(teamId: string, id: string): Promise<StoredImport> {
  const job = await findImport(id);
  if (!job || job.team_id !== teamId) throw notFound('Import');
  return job;
}

export function listImports(teamId: string, options: { limit: number; cursor?: string }): Promise<Page<StoredImport>> {
  return listOwnerCollection(teamImportsPartition(teamId), options, toImport);
}

export interface ChunkResult {
  /** Where the next chunk starts. */
  offset: number;
  counts: Omit<ImportRowCounts, 'total_so_far'>;
  errors: ImportRowError[];
  columns?: string[];
  /** completed or failed: the job ends with this chunk. */
  end?: { status: 'completed' } | { status: 'failed'; error: string };
}

/**
 * Counts one chunk and moves the checkpoint past it, if the job is still at the checkpoint `job` was read at
 * and still active. False if another delivery of the same chunk got there first: nothing is counted twice.
 */
export function advanceImport(job: StoredImport, chunk: ChunkResult): Promise<boolean> {
  const now = nowIso();
  const names: Record<string, string> = { '#status': 'status' };
  const values: Record<string, unknown> = {
    ':seq': job.seq,
    ':next': job.seq + 1,
    ':offset': chunk.offset,
    ':status': chunk.end?.status ?? 'running',
    ':queued': ACTIVE[0],
    ':running': ACTIVE[1],
    ':now': now,
    ':sample': [...job.errors_sample, ...chunk.errors].slice(0, IMPORT_ERRORS_SAMPLE),
  };
  const sets = ['seq = :next', 'bytes_read = :offset', '#status = :status', 'updated_at = :now', 'errors_sample = :sample'];
  const adds = COUNTERS.filter((name) => chunk.counts[name] > 0).map((name) => {
    names[`#${name}`] = name;
    values[`:${name}`] = chunk.counts[name];
    return `#${name} :${name}`;
  });
  if (chunk.columns) {
    sets.push('#columns = :columns');
    names['#columns'] = 'columns';
    values[':columns'] = chunk.columns;
  }
  if (chunk.end) sets.push('finished_at = :now');
  if (chunk.end?.status === 'failed') {
    sets.push('#error = :error');
    names['#error'] = 'error';
    values[':error'] = chunk.end.error;
  }
  return conditionalUpdate({
    TableName: tableName(),
    Key: jobKey(job.id),
    UpdateExpression: `SET ${sets.join(', ')}${adds.length ? ` ADD ${adds.join(', ')}` : ''}`,
    ConditionExpression: 'seq = :seq AND #status IN (:queued, :running)',
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  });
}

/** Notes that the chunk numbered `seq` is on the queue, so a redelivered predecessor does not queue it again. */
export async function markDispatched(id: string, seq: number): Promise<void> {
  await conditionalUpdate({
    TableName: tableName(),
    Key: jobKey(id),
    UpdateExpression: 'SET dispatched_seq = :seq',
    ConditionExpression: 'dispatched_seq < :seq',
    ExpressionAttributeValues: { ':seq': seq },
  });
}

/** Ends an active job as failed (rows already counted stay counted); false if it had already ended. */
export function failImport(id: string, error: string): Promise<boolean> {
  const now = nowIso();
  return conditionalUpdate({
    TableName: tableName(),
    Key: jobKey(id),
    UpdateExpression: 'SET #status = :failed, #error = :error, finished_at = :now, updated_at = :now',
    ConditionExpression: '#status IN (:queued, :running)',
    ExpressionAttributeNames: { '#status': 'status', '#error': 'error' },
    ExpressionAttributeValues: { ':failed': 'failed', ':error': error, ':now': now, ':queued': ACTIVE[0], ':running': ACTIVE[1] },
  });
}

/** Stores a chunk's row errors, keyed by row: a redelivered chunk overwrites its own errors. */
export async function putImportErrors(job: StoredImport, errors: ImportRowError[]): Promise<void> {
  const expiresAt = Math.floor(Date.parse(job.expires_at) / 1000);
  const perRow = new Map<number, number>();
  await batchWriteAll(
    errors.map((error) => {
      const n = perRow.get(error.row) ?? 0;
      perRow.set(error.row, n + 1);
      return { PutRequest: { Item: { ...errorKey(job.id, error.row, n), ...error, expires_at: expiresAt } } };
    }),
  );
}

/** A page of the job's row errors in row order. */
export async function listImportErrors(teamId: string, id: string, options: { limit: number; cursor?: string }): Promise<Page<ImportRowError>> {
  await getTeamImport(teamId, id);
  const { pk } = jobKey(id);
  const result = await documentClient.send(
    new QueryCommand({
      TableName: tableName(),
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
      ExpressionAttributeNames: { '#pk': TABLE_SCHEMA.partitionKey, '#sk': TABLE_SCHEMA.sortKey },
      ExpressionAttributeValues: { ':pk': pk, ':prefix': ERROR_PREFIX },
      ExclusiveStartKey: decodeCursor(options.cursor, TABLE_SCHEMA.partitionKey, pk),
      Limit: options.limit,
    }),
  );
  return {
    data: (result.Items ?? []).map((i) => ({ row: Number(i.row), email: i.email ?? null, field: i.field ?? null, message: String(i.message) })),
    next_cursor: encodeCursor(result.LastEvaluatedKey),
  };
}
