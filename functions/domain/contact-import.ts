/**
 * Contact imports: a CSV or JSON-lines object from the storage API, applied row by row with identify's merge
 * rules, CHUNK_ROWS rows per queue message. A chunk reads the object from the job's checkpoint (a byte offset)
 * with a ranged GET pinned to the object's ETag, applies its rows, stores their errors, publishes their contact
 * events, then moves the checkpoint past them (a conditional update only the delivery holding the current
 * checkpoint can make) and queues the next chunk. A redelivered chunk re-applies rows identify has already
 * applied (nothing changes the second time) and cannot count them again.
 *
 * CSV: a header row; `email` (required), `first_name`, `last_name`, `timezone`, `tags` (separated by ";" or
 * "|"), `subscribed` (true/false, yes/no or 1/0) and any other column as a string property (a `properties.` prefix is
 * optional). Empty cells leave what is stored alone. JSON lines: one identify body per line, plus `subscribed`.
 * A row that breaks a rule is a row error (row number, field, message); a file that cannot be read any further
 * ends the job as failed, with the rows before that point imported.
 */
import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { GetObjectCommand, HeadObjectCommand, NoSuchKey, NotFound } from '@aws-sdk/client-s3';
import { CsvError, parse } from 'csv-parse';
import { s3 } from '../shared/clients.js';
import { config } from '../shared/config.js';
import { ApiError } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import { logger } from '../shared/logger.js';
import { sendToQueue } from '../shared/queue/producer.js';
import { validationError } from '../shared/http/validation.js';
import { ImportRow, MAX_IMPORT_OBJECT_BYTES, type ContactImport, type ImportChunkMessage, type ImportRowError, type StartImportBody } from '../schemas/contact-imports.js';
import { findBucket } from '../repositories/storage.js';
import { identifyContact, updateContact } from '../repositories/contacts.js';
import { advanceImport, createImport, failImport, findImport, markDispatched, putImportErrors, type ChunkResult, type StoredImport } from '../repositories/contact-imports.js';
import { physicalKey } from './storage.js';
import { contactEvents } from './contacts.js';
import { publishEvents, type PlatformEvent } from './webhook-events.js';

/** Rows per queue message: about 1,000–1,500 DynamoDB calls, well inside the worker's timeout. */
export const CHUNK_ROWS = 500;
/** A CSV record or JSON line longer than this is not a contact: the file is refused from there on. */
const MAX_ROW_BYTES = 64 * 1024;
/** Rows applied at once within a chunk (rows of one address always one after the other, in file order). */
const ROW_CONCURRENCY = 16;

const KNOWN_COLUMNS = new Set(['email', 'first_name', 'last_name', 'timezone', 'tags', 'subscribed']);
const PROPERTY_PREFIX = 'properties.';
const FLAGS: Record<string, boolean> = { true: true, false: false, yes: true, no: false, '1': true, '0': false };

/** The API view of a job (without where the worker is). */
export function publicImport(job: StoredImport): ContactImport {
  const { team_id: _team, physical_key: _key, etag: _etag, seq: _seq, dispatched_seq: _dispatched, columns: _columns, ...view } = job;
  return view;
}

const httpStatus = (error: unknown) => (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
const isMissing = (error: unknown) => error instanceof NoSuchKey || error instanceof NotFound || httpStatus(error) === 404;

const queueChunk = (job: Pick<StoredImport, 'team_id' | 'id'>, seq: number) =>
  sendToQueue('contact-import', [{ team_id: job.team_id, import_id: job.id, seq } satisfies ImportChunkMessage]);

/** Checks the object (it exists, within the size cap), creates the job and queues its first chunk. */
export async function startContactImport(teamId: string, body: StartImportBody): Promise<ContactImport> {
  if (!(await findBucket(teamId, body.bucket))) throw new ApiError('validation_error', `This team has no bucket "${body.bucket}".`, { param: 'bucket' });
  const key = physicalKey(teamId, body.bucket, body.key);
  const head = await s3.send(new HeadObjectCommand({ Bucket: config.mediaBucket, Key: key })).catch((error) => {
    if (isMissing(error)) return undefined;
    throw error;
  });
  if (!head) throw new ApiError('validation_error', `Bucket "${body.bucket}" has no object "${body.key}": upload the file first.`, { param: 'key' });
  const size = head.ContentLength ?? 0;
  if (size > MAX_IMPORT_OBJECT_BYTES) {
    throw new ApiError('payload_too_large', `The object is ${size} bytes; an import reads at most ${MAX_IMPORT_OBJECT_BYTES / 1024 ** 2} MB. Split the file and import each part.`, {
      param: 'key',
      details: { size_bytes: size, max_bytes: MAX_IMPORT_OBJECT_BYTES },
    });
  }
  if (size === 0) throw new ApiError('validation_error', `The object "${body.key}" is empty.`, { param: 'key' });
  const job = await createImport(teamId, {
    id: newId('contactImport'),
    bucket: body.bucket,
    key: body.key,
    format: body.format,
    tags: body.tags ?? [],
    source: body.source ?? null,
    physicalKey: key,
    etag: head.ETag ?? '',
    size,
  });
  try {
    await queueChunk(job, 0);
  } catch (error) {
    await failImport(job.id, 'The import could not be queued; start it again.');
    throw error;
  }
  return publicImport(job);
}

/** One row of the file as read: its fields, or why it could not be read. */
interface SourceRow {
  row: number;
  email: string | null;
  fields?: Record<string, unknown>;
  error?: { field: string | null; message: string };
}

interface Chunk {
  rows: SourceRow[];
  /** Where the next chunk starts. */
  offset: number;
  done: boolean;
  columns?: string[];
  /** Why the file cannot be read past these rows. */
  problem?: string;
}

/** Normalised header: known columns in lower case, every other one as `properties.<name>`, '' for an unnamed one. */
function csvHeader(record: string[]): { columns: string[] } | { problem: string } {
  const columns = record.map((cell) => {
    const name = cell.trim();
    if (KNOWN_COLUMNS.has(name.toLowerCase())) return name.toLowerCase();
    if (name.toLowerCase().startsWith(PROPERTY_PREFIX)) return `${PROPERTY_PREFIX}${name.slice(PROPERTY_PREFIX.length)}`;
    return name && `${PROPERTY_PREFIX}${name}`;
  });
  if (!columns.includes('email')) return { problem: `The CSV header has no "email" column (it has: ${record.map((c) => c.trim()).filter(Boolean).join(', ') || 'nothing'}).` };
  const duplicate = columns.find((column, i) => column && columns.indexOf(column) !== i);
  if (duplicate) return { problem: `The CSV header names the column "${duplicate.replace(PROPERTY_PREFIX, '')}" twice.` };
  return { columns };
}

function csvRow(columns: string[], record: string[], row: number): SourceRow {
  const email = record[columns.indexOf('email')]?.trim() || null;
  if (record.slice(columns.length).some((cell) => cell.trim() !== '')) {
    return { row, email, error: { field: null, message: `The row has ${record.length} fields; the header has ${columns.length}.` } };
  }
  const fields: Record<string, unknown> = {};
  const properties: Record<string, string> = {};
  for (const [i, column] of columns.entries()) {
    const cell = record[i]?.trim();
    if (!column || !cell) continue;
    if (column.startsWith(PROPERTY_PREFIX)) properties[column.slice(PROPERTY_PREFIX.length)] = cell;
    else if (column === 'tags') fields.tags = cell.split(/[;|]/).map((tag) => tag.trim()).filter(Boolean);
    else if (column === 'subscribed') {
      const flag = FLAGS[cell.toLowerCase()];
      if (flag === undefined) return { row, email, error: { field: 'subscribed', message: 'Use true or false.' } };
      fields.subscribed = flag;
    } else fields[column] = cell;
  }
  if (Object.keys(properties).length) fields.properties = properties;
  return { row, email, fields };
}

function csvProblem(error: CsvError, row: number): string {
  const what: Partial<Record<CsvError['code'], string>> = {
    CSV_QUOTE_NOT_CLOSED: 'a quoted field is never closed',
    CSV_INVALID_CLOSING_QUOTE: 'a closing quote is followed by something other than a comma or a line break',
    CSV_MAX_RECORD_SIZE: `a row is longer than ${MAX_ROW_BYTES} characters`,
  };
  return `The file is not valid CSV at row ${row}: ${what[error.code] ?? error.message}.`;
}

/** Thrown from csv-parse's record callback to stop reading once the chunk is full. */
class ChunkFull extends Error {}

async function readCsv(body: Readable, job: StoredImport, firstRow: number): Promise<Chunk> {
  const wanted = CHUNK_ROWS + (job.columns ? 0 : 1);
  // Records are taken as the parser finds them (so none is lost to an error further on), each with the bytes of
  // the chunk's input up to its end (csv-parse counts the BOM and the line break).
  const records: { record: string[]; bytes: number }[] = [];
  const parser = parse({
    bom: true,
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: true,
    max_record_size: MAX_ROW_BYTES,
    on_record: (record: string[], context: { bytes: number }) => {
      if (records.length === wanted) throw new ChunkFull();
      records.push({ record, bytes: context.bytes });
      return null;
    },
  });
  body.on('error', (error) => parser.destroy(error));
  body.pipe(parser).resume();
  let ended = true;
  let broken: CsvError | undefined;
  try {
    await finished(parser);
  } catch (error) {
    if (error instanceof ChunkFull) ended = false;
    else if (error instanceof CsvError) broken = error;
    else throw error;
  } finally {
    body.destroy();
  }
  let columns = job.columns;
  const rows: SourceRow[] = [];
  let consumed = 0;
  for (const { record, bytes } of records) {
    if (!columns) {
      const header = csvHeader(record);
      if ('problem' in header) return { rows: [], offset: job.bytes_read, done: true, problem: header.problem };
      columns = header.columns;
    } else rows.push(csvRow(columns, record, firstRow + rows.length));
    consumed = bytes;
  }
  const offset = job.bytes_read + consumed;
  return {
    rows,
    offset,
    done: ended || offset >= job.size_bytes,
    ...(broken && { problem: csvProblem(broken, firstRow + rows.length) }),
    ...(!job.columns && columns && { columns }),
  };
}

function jsonRow(line: string, row: number): SourceRow {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { row, email: null, error: { field: null, message: 'The line is not valid JSON.' } };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { row, email: null, error: { field: null, message: 'Each line must be a JSON object.' } };
  const fields = value as Record<string, unknown>;
  return { row, email: typeof fields.email === 'string' ? fields.email : null, fields };
}

async function readJsonLines(body: Readable, job: StoredImport, firstRow: number): Promise<Chunk> {
  const rows: SourceRow[] = [];
  let pending: Buffer = Buffer.alloc(0);
  let consumed = 0;
  let ended = true;
  let problem: string | undefined;
  const take = (line: Buffer) => {
    let text = line.toString('utf8');
    // A BOM can only open the file's first line.
    if (job.bytes_read === 0 && consumed === 0) text = text.replace(/^\uFEFF/, '');
    text = text.trim();
    if (text) rows.push(jsonRow(text, firstRow + rows.length));
  };
  try {
    reading: for await (const piece of body as AsyncIterable<Buffer>) {
      pending = pending.length ? Buffer.concat([pending, piece]) : piece;
      for (let newline = pending.indexOf(0x0a); newline !== -1; newline = pending.indexOf(0x0a)) {
        take(pending.subarray(0, newline));
        consumed += newline + 1;
        pending = pending.subarray(newline + 1);
        if (rows.length === CHUNK_ROWS) {
          ended = false;
          break reading;
        }
      }
      if (pending.length > MAX_ROW_BYTES) {
        problem = `The file is not valid JSON lines at row ${firstRow + rows.length}: a line is longer than ${MAX_ROW_BYTES} bytes.`;
        break;
      }
    }
    if (ended && !problem && pending.length) {
      take(pending);
      consumed += pending.length;
    }
  } finally {
    body.destroy();
  }
  const offset = job.bytes_read + consumed;
  return { rows, offset, done: ended || offset >= job.size_bytes, problem };
}

/** Reads the chunk starting at the job's checkpoint; a vanished or replaced object is a problem, not a retry. */
async function readChunk(job: StoredImport): Promise<Chunk> {
  const firstRow = job.rows.total_so_far + 1;
  if (job.bytes_read >= job.size_bytes) return { rows: [], offset: job.bytes_read, done: true };
  let body: Readable;
  try {
    const object = await s3.send(new GetObjectCommand({ Bucket: config.mediaBucket, Key: job.physical_key, Range: `bytes=${job.bytes_read}-`, IfMatch: job.etag || undefined }));
    body = object.Body as Readable;
  } catch (error) {
    const changed = isMissing(error) ? 'deleted' : httpStatus(error) === 412 ? 'replaced' : undefined;
    if (!changed) throw error;
    return { rows: [], offset: job.bytes_read, done: true, problem: `The object was ${changed} during the import, before row ${firstRow}; upload it again and start a new import for the rest.` };
  }
  return job.format === 'csv' ? readCsv(body, job, firstRow) : readJsonLines(body, job, firstRow);
}

/** Runs `apply` for every row, ROW_CONCURRENCY at a time, rows of the same address in file order. Throws the first failure once all have settled. */
async function inAddressOrder(rows: { key: string; run: () => Promise<void> }[]): Promise<void> {
  const lanes = new Map<string, Promise<unknown>>();
  let active = 0;
  const waiting: (() => void)[] = [];
  const limited = async (run: () => Promise<void>) => {
    while (active >= ROW_CONCURRENCY) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      await run();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
  const results = await Promise.allSettled(
    rows.map(({ key, run }) => {
      const next = (lanes.get(key) ?? Promise.resolve()).catch(() => undefined).then(() => limited(run));
      lanes.set(key, next);
      return next;
    }),
  );
  const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure) throw failure.reason;
}

type Outcome = 'created' | 'updated' | 'unchanged';

/**
 * identify, then (for `subscribed: false`) the unsubscribe; a new contact counts as created whatever follows.
 * `replaySince` (a retried chunk, first row of its address): a row found unchanged that was written after the
 * checkpoint was written by an earlier attempt of this chunk, which may have stopped before counting it or
 * publishing its events. It counts as what that attempt did, with the same events (the same ids).
 */
async function applyRow(teamId: string, row: ImportRow, replaySince: string | undefined): Promise<{ outcome: Outcome; events: PlatformEvent[] }> {
  const { subscribed, ...identify } = row;
  const { before, contact } = await identifyContact(teamId, identify);
  const after = subscribed === false && contact.subscribed ? (await updateContact(teamId, contact.id, { subscribed: false })).contact : contact;
  if (!before) return { outcome: 'created', events: contactEvents(teamId, undefined, after) };
  if (before.version !== after.version) return { outcome: 'updated', events: contactEvents(teamId, before, after) };
  if (!replaySince || after.updated_at <= replaySince) return { outcome: 'unchanged', events: [] };
  if (after.created_at > replaySince) return { outcome: 'created', events: contactEvents(teamId, undefined, after) };
  const unsubscribedSince = !after.subscribed && after.unsubscribed_at !== null && after.unsubscribed_at > replaySince;
  return { outcome: 'updated', events: contactEvents(teamId, { ...after, subscribed: after.subscribed || unsubscribedSince }, after) };
}

/** The identify body of a row with the job's tags and source, or its errors. */
function validateRow(job: StoredImport, source: SourceRow): { row: ImportRow } | { errors: ImportRowError[] } {
  const base = { row: source.row, email: source.email };
  if (source.error) return { errors: [{ ...base, ...source.error }] };
  const fields = { ...source.fields };
  if (job.tags.length && (fields.tags === undefined || Array.isArray(fields.tags))) fields.tags = [...new Set([...((fields.tags as unknown[]) ?? []), ...job.tags])];
  if (job.source && fields.source === undefined) fields.source = job.source;
  const parsed = ImportRow.safeParse(fields);
  if (parsed.success) return { row: parsed.data };
  return { errors: validationError(parsed.error.issues).options.errors!.map((e) => ({ ...base, field: e.field === '(root)' ? null : e.field, message: e.message })) };
}

async function applyRows(job: StoredImport, rows: SourceRow[], replaySince: string | undefined) {
  const counts = { created: 0, updated: 0, unchanged: 0, failed: 0 };
  const errors: ImportRowError[] = [];
  const events: PlatformEvent[] = [];
  const work: { key: string; run: () => Promise<void> }[] = [];
  const addresses = new Set<string>();
  for (const source of rows) {
    const checked = validateRow(job, source);
    if ('errors' in checked) {
      counts.failed++;
      errors.push(...checked.errors);
      continue;
    }
    const { email } = checked.row;
    // Later rows of an address in the chunk were applied after the first: only the first can stand for an earlier attempt.
    const replay = addresses.has(email) ? undefined : replaySince;
    addresses.add(email);
    work.push({
      key: email,
      run: async () => {
        try {
          const result = await applyRow(job.team_id, checked.row, replay);
          counts[result.outcome]++;
          events.push(...result.events);
        } catch (error) {
          // A refusal about this row (not a conflict worth retrying) is the row's error; anything else retries the chunk.
          if (!(error instanceof ApiError) || error.retryable) throw error;
          counts.failed++;
          errors.push({ row: source.row, email: source.email, field: error.options.param ?? null, message: error.message });
        }
      },
    });
  }
  await inAddressOrder(work);
  errors.sort((a, b) => a.row - b.row);
  return { counts, errors, events };
}

/**
 * Processes the chunk a message names. A message whose chunk is already counted does nothing, except queue the
 * following chunk if that was never done (the delivery that counted it failed before queueing).
 */
export async function runImportChunk(message: ImportChunkMessage, attempt: number): Promise<void> {
  const job = await findImport(message.import_id);
  if (!job || job.team_id !== message.team_id || (job.status !== 'queued' && job.status !== 'running')) return;
  if (job.seq !== message.seq) {
    if (job.seq === message.seq + 1 && job.dispatched_seq < job.seq) await dispatch(job, job.seq);
    return;
  }
  const started = Date.now();
  const chunk = await readChunk(job);
  // A retry may find rows an earlier attempt wrote: they count, with their events, as that attempt would have counted them.
  const applied = await applyRows(job, chunk.rows, attempt > 1 ? job.updated_at : undefined);
  await putImportErrors(job, applied.errors);
  await publishEvents(applied.events);
  const end: ChunkResult['end'] = chunk.problem ? { status: 'failed', error: chunk.problem } : chunk.done ? { status: 'completed' } : undefined;
  const advanced = await advanceImport(job, { offset: chunk.offset, counts: applied.counts, errors: applied.errors, columns: chunk.columns, end });
  logger.info('contact import chunk', { import_id: job.id, seq: job.seq, rows: chunk.rows.length, advanced, status: end?.status ?? 'running', ms: Date.now() - started });
  if (advanced && !end) await dispatch(job, job.seq + 1);
}

async function dispatch(job: StoredImport, seq: number): Promise<void> {
  await queueChunk(job, seq);
  await markDispatched(job.id, seq);
}

/** After the last delivery of a chunk failed: the job says so instead of staying "running" for ever. */
export async function abandonImport(message: ImportChunkMessage): Promise<void> {
  await failImport(message.import_id, 'The import stopped after repeated internal errors; the rows counted so far were imported. Start a new import for the rest.');
}
