import * as z from 'zod';
import { idOf, ListQuery, pageOf, Timestamp } from './common.js';
import { defineRoutes } from './contract.js';
import { BucketSlug, ObjectKey } from './storage.js';
import { IdentifyBody } from './contacts.js';

export const ImportFormat = z.enum(['csv', 'jsonl']);
export type ImportFormat = z.infer<typeof ImportFormat>;

/** The largest object an import reads; larger lists go in as several files. */
export const MAX_IMPORT_OBJECT_BYTES = 50 * 1024 * 1024;
/** How many row errors the job itself shows; the rest are listed by GET …/errors. */
export const IMPORT_ERRORS_SAMPLE = 20;
/** Jobs and their row errors (which quote email addresses) expire this long after the import started. */
export const IMPORT_RETENTION_DAYS = 30;

const EXTENSIONS: Record<string, ImportFormat> = { csv: 'csv', jsonl: 'jsonl', ndjson: 'jsonl' };

/** `.csv` → csv, `.jsonl`/`.ndjson` → jsonl (case-insensitive); undefined for anything else. */
export function formatFromKey(key: string): ImportFormat | undefined {
  return EXTENSIONS[/\.([a-z0-9]+)$/i.exec(key)?.[1]?.toLowerCase() ?? ''];
}

export const StartImportBody = z
  .strictObject({
    bucket: BucketSlug.describe('The storage bucket holding the file (upload it first through /v1/buckets/{slug}/uploads).'),
    key: ObjectKey.describe(`The object to import, at most ${MAX_IMPORT_OBJECT_BYTES / 1024 / 1024} MB of UTF-8.`),
    format: ImportFormat.optional().describe('Defaults from the key: .csv is csv; .jsonl and .ndjson are JSON lines.'),
    tags: IdentifyBody.shape.tags.describe('Added to every imported contact, after the row\'s own tags.'),
    source: IdentifyBody.shape.source.describe('The source of contacts the import creates (a JSON line\'s own source wins).'),
  })
  .transform((body, ctx) => {
    const format = body.format ?? formatFromKey(body.key);
    if (!format) {
      ctx.addIssue({ code: 'custom', path: ['format'], message: 'The key does not end in .csv, .jsonl or .ndjson: give the format, "csv" or "jsonl".' });
      return z.NEVER;
    }
    return { ...body, format };
  });
export type StartImportBody = z.output<typeof StartImportBody>;

/**
 * One row as identify applies it: the identify fields (not lists or anything identify may add later) and
 * `subscribed`. `subscribed: false` unsubscribes the contact from everything; true never re-subscribes a
 * contact who unsubscribed (only the person can), it only keeps new contacts subscribed.
 */
export const ImportRow = IdentifyBody.pick({ email: true, first_name: true, last_name: true, properties: true, tags: true, source: true, timezone: true }).extend({
  subscribed: z.boolean().optional(),
});
export type ImportRow = z.output<typeof ImportRow>;

export const ImportRowError = z
  .object({
    row: z.number().int().describe('1 is the first row after the CSV header, or the first non-blank JSON line.'),
    email: z.string().nullable().describe('The row\'s email as written, when it has one.'),
    field: z.string().nullable().describe('The column or field at fault; null when the row as a whole is.'),
    message: z.string(),
  })
  .meta({ id: 'ContactImportRowError' });
export type ImportRowError = z.infer<typeof ImportRowError>;

export const ImportStatus = z
  .enum(['queued', 'running', 'completed', 'failed'])
  .describe('failed: the file could not be read any further (the rows before that point were imported).');
export type ImportStatus = z.infer<typeof ImportStatus>;

export const ImportRowCounts = z.object({
  total_so_far: z.number().int().describe('Rows read so far: created + updated + unchanged + failed.'),
  created: z.number().int(),
  updated: z.number().int(),
  unchanged: z.number().int(),
  failed: z.number().int(),
});
export type ImportRowCounts = z.infer<typeof ImportRowCounts>;

export const ContactImport = z
  .object({
    id: idOf('contactImport'),
    status: ImportStatus,
    bucket: z.string(),
    key: z.string(),
    format: ImportFormat,
    tags: z.array(z.string()).describe('Added to every imported contact.'),
    source: z.string().nullable().describe('The source of contacts the import creates.'),
    size_bytes: z.number().int().describe('The object\'s size when the import started.'),
    bytes_read: z.number().int().describe('Progress: how far into the object the import has got.'),
    rows: ImportRowCounts,
    errors_sample: z.array(ImportRowError).describe(`The first ${IMPORT_ERRORS_SAMPLE} row errors.`),
    error: z.string().nullable().describe('Why a failed import stopped (rows before that point were imported).'),
    created_at: Timestamp,
    updated_at: Timestamp,
    finished_at: Timestamp.nullable(),
    expires_at: Timestamp.describe(`The job and its row errors are deleted ${IMPORT_RETENTION_DAYS} days after it started.`),
  })
  .meta({ id: 'ContactImport' });
export type ContactImport = z.infer<typeof ContactImport>;

export const ImportParams = z.strictObject({ id: idOf('contactImport') });
export const ListImportsQuery = ListQuery;
export const ListImportErrorsQuery = ListQuery;

export const CONTACT_IMPORT_ROUTES = defineRoutes({
  'contact-imports.create': {
    summary: 'Import contacts from a stored file',
    description:
      `Reads a CSV (header row with \`email\`; \`first_name\`, \`last_name\`, \`timezone\`, \`tags\`, \`subscribed\`; any other column is a property) ` +
      `or JSON-lines object (one identify body per line, plus \`subscribed\`) of at most ${MAX_IMPORT_OBJECT_BYTES / 1024 / 1024} MB from a storage bucket of the team. ` +
      'Answers 202 with the job (and its `Location`); rows are applied in the background with identify\'s merge rules, publishing contact events. ' +
      'A row that breaks a rule becomes a row error and the rest go on; poll the job for progress.',
    body: StartImportBody,
    responses: { 202: ContactImport },
    errors: ['validation_error', 'payload_too_large'],
  },
  'contact-imports.list': {
    summary: 'List contact imports',
    description: `The team's import jobs, newest first; jobs are deleted ${IMPORT_RETENTION_DAYS} days after they started.`,
    query: ListImportsQuery,
    responses: { 200: pageOf(ContactImport) },
  },
  'contact-imports.get': {
    summary: 'Get a contact import',
    description: 'The job\'s status, progress, row counts and first row errors.',
    params: ImportParams,
    responses: { 200: ContactImport },
  },
  'contact-imports.errors': {
    summary: 'List a contact import\'s row errors',
    description: 'Every row error of the job, in row order.',
    params: ImportParams,
    query: ListImportErrorsQuery,
    responses: { 200: pageOf(ImportRowError) },
  },
});

/** The worker's message: read and apply the chunk that starts at the job's checkpoint number `seq`. */
export const ImportChunkMessage = z.object({ team_id: z.string(), import_id: z.string(), seq: z.number().int().min(0) });
export type ImportChunkMessage = z.infer<typeof ImportChunkMessage>;
