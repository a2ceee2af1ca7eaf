/**
 * Contact imports end to end: a file uploaded through the storage API's presigned upload, POST
 * /v1/contacts/import, the job polled to its end through the API, contacts and row errors read back; big files in
 * several chunks; a redelivered or retried chunk counted once; failures a user can act on.
 */
import { randomUUID } from 'node:crypto';
import type { SQSEvent } from 'aws-lambda';
import { Upload } from '@aws-sdk/lib-storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, createTeam, startLocalStack, type LocalStack } from '../support/local-stack.js';
import { expectError, expectEventually } from '../support/http.js';
import { startReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';
import { uniqueSlug } from './route-cases/storage.js';
import { CHUNK_ROWS } from '../../functions/domain/contact-import.js';
import { MAX_IMPORT_OBJECT_BYTES } from '../../functions/schemas/contact-imports.js';
import { newId } from '../../functions/shared/ids.js';

let stack: LocalStack;
let receiver: WebhookReceiver;

beforeAll(async () => {
  [stack, receiver] = await Promise.all([startLocalStack(), startReceiver()]);
});
afterAll(async () => {
  await receiver.close();
  await stack.stop();
});

/** A team with a bucket; `upload` puts a file in it through a presigned PUT, as a client would. */
async function setup(prefix: string) {
  const { team, adminKey: key } = await createTeam(stack, prefix);
  const bucket = (await call(stack.url, 'POST', '/v1/buckets', { key, body: { slug: uniqueSlug('imports') } })).body.slug as string;
  const upload = async (objectKey: string, content: string | Buffer, contentType = 'text/csv') => {
    const bytes = Buffer.from(content);
    const link = await call(stack.url, 'POST', `/v1/buckets/${bucket}/uploads`, { key, body: { key: objectKey, size: bytes.length, content_type: contentType } });
    expect(link.status, JSON.stringify(link.body)).toBe(201);
    const put = await fetch(link.body.url, { method: 'PUT', headers: link.body.headers, body: bytes });
    expect(put.status).toBe(200);
  };
  const start = async (body: Record<string, unknown>, headers: Record<string, string> = {}) => {
    const res = await call(stack.url, 'POST', '/v1/contacts/import', { key, body: { bucket, ...body }, headers });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    return res.body as { id: string; status: string };
  };
  /** Polls the job until it has ended. */
  const finished = (id: string, timeoutMs = 30_000) =>
    expectEventually(async () => {
      const job = await call(stack.url, 'GET', `/v1/contacts/imports/${id}`, { key });
      expect(job.status).toBe(200);
      expect(['completed', 'failed']).toContain(job.body.status);
      return job.body;
    }, timeoutMs, 200);
  const contacts = async () => {
    const all: any[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await call(stack.url, 'GET', `/v1/contacts?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { key });
      all.push(...page.body.data);
      cursor = page.body.next_cursor;
    } while (cursor);
    return new Map(all.map((c) => [c.email as string, c]));
  };
  const errors = async (id: string, limit = 100) => {
    const all: any[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await call(stack.url, 'GET', `/v1/contacts/imports/${id}/errors?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { key });
      expect(page.status).toBe(200);
      all.push(...page.body.data);
      cursor = page.body.next_cursor;
    } while (cursor);
    return all;
  };
  return { team, key, bucket, upload, start, finished, contacts, errors };
}

/** Calls the import worker in this process with one SQS record, as the event source mapping would. */
async function deliverChunk(body: object, receiveCount = 1) {
  const { handler } = await import('../../functions/workers/contact-import.js');
  const event = {
    Records: [
      {
        messageId: randomUUID(),
        receiptHandle: 'in-process',
        body: JSON.stringify(body),
        attributes: { ApproximateReceiveCount: String(receiveCount), SentTimestamp: String(Date.now()), SenderId: 'test', ApproximateFirstReceiveTimestamp: String(Date.now()) },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:contact-import',
        awsRegion: 'us-east-1',
      },
    ],
  } as SQSEvent;
  const result = await handler(event, {} as never);
  expect(result.batchItemFailures).toEqual([]);
}

/** A job whose first message is never queued, so the test plays the worker (deliverChunk). */
async function unqueuedJob(t: Awaited<ReturnType<typeof setup>>, objectKey: string) {
  const { createImport } = await import('../../functions/repositories/contact-imports.js');
  const { physicalKey } = await import('../../functions/domain/storage.js');
  const object = (await call(stack.url, 'GET', `/v1/buckets/${t.bucket}/objects/${objectKey}`, { key: t.key })).body;
  return createImport(t.team.id, {
    id: newId('contactImport'),
    bucket: t.bucket,
    key: objectKey,
    format: 'csv',
    tags: [],
    source: null,
    physicalKey: physicalKey(t.team.id, t.bucket, objectKey),
    etag: object.etag,
    size: object.size,
  });
}

describe('CSV', () => {
  it('imports quoted fields (commas, quotes, line breaks), a BOM and CRLF; bad rows become row errors; duplicates and merges count as such', async () => {
    const t = await setup('import-csv');
    await call(stack.url, 'POST', '/v1/webhooks', {
      key: t.key,
      body: { url: `${receiver.url}/${t.team.id}`, event_types: ['contact.created', 'contact.updated', 'contact.unsubscribed'] },
    });
    const existing = await call(stack.url, 'POST', '/v1/identify', { key: t.key, body: { email: 'existing@example.com', first_name: 'Old', properties: { plan: 'free', seats: 3 }, tags: ['old'] } });
    expect(existing.status).toBe(201);
    const csv =
      '\uFEFFEmail,first_name,last_name,tags,subscribed,plan,properties.company,timezone\r\n' +
      'Ann@Example.com,Ann,"Lee, Jr.","vip;beta",true,pro,"Acme, ""The"" Inc.",Europe/Berlin\r\n' +
      'bob@example.com,Bob,,a|b,false,free,"Multi\r\nLine Co",\r\n' +
      'not-an-email,Carl,,,,,,\r\n' +
      '\r\n' +
      'ann@example.com,Ann,"Lee, Jr.","vip;beta",true,pro,"Acme, ""The"" Inc.",Europe/Berlin\r\n' +
      'existing@example.com,,,new,,pro,,\r\n' +
      'dan@example.com,Dan,,,maybe,,,\r\n' +
      'eve@example.com,Eve,,,,,,Mars/Olympus\r\n' +
      'fay@example.com,Fay,,,,,,,surplus\r\n';
    await t.upload('lists/people.csv', csv);

    const started = await t.start({ key: 'lists/people.csv', tags: ['imported'], source: 'crm-export' }, { 'Idempotency-Key': `imp-${randomUUID()}` });
    expect(started).toMatchObject({ status: 'queued', format: 'csv', key: 'lists/people.csv', bucket: t.bucket, rows: { total_so_far: 0 } });
    expect(started.id).toMatch(/^imp_[0-9a-z]{26}$/);
    const job = await t.finished(started.id);

    expect(job).toMatchObject({
      status: 'completed',
      error: null,
      rows: { total_so_far: 8, created: 2, updated: 1, unchanged: 1, failed: 4 },
      bytes_read: Buffer.byteLength(csv),
      size_bytes: Buffer.byteLength(csv),
      finished_at: expect.any(String),
    });
    // Row errors expire with the job, 30 days after it started.
    expect(Date.parse(job.expires_at) - Date.parse(job.created_at)).toBeGreaterThan(30 * 24 * 3600 * 1000 - 1000);
    expect(Date.parse(job.expires_at) - Date.parse(job.created_at)).toBeLessThanOrEqual(30 * 24 * 3600 * 1000);
    const expectedErrors = [
      { row: 3, email: 'not-an-email', field: 'email', message: expect.any(String) },
      { row: 6, email: 'dan@example.com', field: 'subscribed', message: 'Use true or false.' },
      { row: 7, email: 'eve@example.com', field: 'timezone', message: expect.stringContaining('IANA') },
      { row: 8, email: 'fay@example.com', field: null, message: 'The row has 9 fields; the header has 8.' },
    ];
    expect(job.errors_sample).toEqual(expectedErrors);
    expect(await t.errors(started.id, 3)).toEqual(expectedErrors);

    const contacts = await t.contacts();
    expect(contacts.get('ann@example.com')).toMatchObject({
      first_name: 'Ann',
      last_name: 'Lee, Jr.',
      tags: ['vip', 'beta', 'imported'],
      properties: { plan: 'pro', company: 'Acme, "The" Inc.' },
      timezone: 'Europe/Berlin',
      source: 'crm-export',
      subscribed: true,
    });
    expect(contacts.get('bob@example.com')).toMatchObject({ tags: ['a', 'b', 'imported'], properties: { plan: 'free', company: 'Multi\r\nLine Co' }, subscribed: false, last_name: null });
    // identify's merge: empty cells leave the name alone, properties merge, tags append.
    expect(contacts.get('existing@example.com')).toMatchObject({ first_name: 'Old', properties: { plan: 'pro', seats: 3 }, tags: ['old', 'new', 'imported'], source: 'crm-export' });
    expect([...contacts.keys()].sort()).toEqual(['ann@example.com', 'bob@example.com', 'existing@example.com']);

    // The literal /v1/contacts/imports is the job list, not a contact with the id "imports".
    const listed = await call(stack.url, 'GET', '/v1/contacts/imports', { key: t.key });
    expect(listed.body.data.map((j: { id: string }) => j.id)).toEqual([started.id]);

    // Webhooks: created for ann and bob, updated for the merged contact (and nothing for the duplicate).
    const seen = await expectEventually(async () => {
      const events = receiver.at(`/${t.team.id}`).map((r) => JSON.parse(r.body));
      expect(events).toHaveLength(4);
      return events;
    }, 15_000);
    expect(seen.map((e) => `${e.type} ${e.data.email}`).sort()).toEqual([
      'contact.created ann@example.com',
      'contact.created bob@example.com',
      'contact.updated existing@example.com',
      // The identify before the import.
      'contact.created existing@example.com',
    ].sort());
  }, 60_000);

  it('replays the same start for the same Idempotency-Key', async () => {
    const t = await setup('import-idem');
    await t.upload('a.csv', 'email\nidem@example.com\n');
    const headers = { 'Idempotency-Key': `imp-${randomUUID()}` };
    const first = await t.start({ key: 'a.csv' }, headers);
    const second = await call(stack.url, 'POST', '/v1/contacts/import', { key: t.key, body: { bucket: t.bucket, key: 'a.csv' }, headers });
    expect(second.status).toBe(202);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(second.body.id).toBe(first.id);
  });

  it(`reads a file of ${CHUNK_ROWS * 2 + 1} rows in several chunks with exact counts`, async () => {
    const t = await setup('import-big');
    const total = CHUNK_ROWS * 2 + 1;
    // Bad rows on both sides of chunk boundaries, and the last row (a chunk of its own).
    const bad = new Set([1, CHUNK_ROWS, CHUNK_ROWS + 1, CHUNK_ROWS + 234, total]);
    const lines = ['email,first_name,plan'];
    // Multi-byte names: the checkpoints are byte offsets, not character counts.
    for (let row = 1; row <= total; row++) lines.push(bad.has(row) ? `broken-${row},X,pro` : `user${row}@example.com,"Zoë ${row}",${row % 2 ? 'pro' : 'free'}`);
    const csv = `${lines.join('\r\n')}\r\n`;
    await t.upload('big.csv', csv);
    const started = await t.start({ key: 'big.csv' });
    const job = await t.finished(started.id, 90_000);
    expect(job).toMatchObject({ status: 'completed', rows: { total_so_far: total, created: total - bad.size, updated: 0, unchanged: 0, failed: bad.size }, bytes_read: Buffer.byteLength(csv) });
    expect((await t.errors(started.id)).map((e) => [e.row, e.email, e.field])).toEqual([...bad].map((row) => [row, `broken-${row}`, 'email']));
    const contacts = await t.contacts();
    expect(contacts.size).toBe(total - bad.size);
    expect(contacts.get(`user${total - 1}@example.com`)).toMatchObject({ first_name: `Zoë ${total - 1}`, properties: { plan: 'free' } });
  }, 120_000);

  it('fails the job with a clear error when the file stops being CSV; the rows before it stay imported', async () => {
    const t = await setup('import-broken');
    await t.upload('broken.csv', 'email,first_name\nok@example.com,Ok\n"never@example.com,closed\nlost@example.com,Lost\n');
    const job = await t.finished((await t.start({ key: 'broken.csv' })).id);
    expect(job).toMatchObject({ status: 'failed', rows: { total_so_far: 1, created: 1 }, error: 'The file is not valid CSV at row 2: a quoted field is never closed.' });
    expect([...(await t.contacts()).keys()]).toEqual(['ok@example.com']);

    await t.upload('no-email.csv', 'name,phone\nAnn,123\n');
    const headerless = await t.finished((await t.start({ key: 'no-email.csv' })).id);
    expect(headerless).toMatchObject({ status: 'failed', error: 'The CSV header has no "email" column (it has: name, phone).', rows: { total_so_far: 0 } });
  }, 60_000);
});

describe('JSON lines', () => {
  it('imports identify bodies line by line; blank lines are skipped and bad lines are row errors', async () => {
    const t = await setup('import-jsonl');
    const lines = [
      '\uFEFF{"email":"Jo@Example.com","first_name":"Jo","properties":{"plan":"pro","address":{"city":"Oslo"}},"tags":["a"]}',
      '',
      'not json',
      '[1,2]',
      '{"email":"kim@example.com","phone":"123"}',
      '{"email":"lee@example.com","subscribed":false,"timezone":"Asia/Tokyo","source":"app"}',
    ];
    await t.upload('people.ndjson', lines.join('\r\n'), 'application/x-ndjson');
    const job = await t.finished((await t.start({ key: 'people.ndjson', source: 'import' })).id);
    expect(job).toMatchObject({ status: 'completed', format: 'jsonl', rows: { total_so_far: 5, created: 2, failed: 3 } });
    expect(job.errors_sample).toEqual([
      { row: 2, email: null, field: null, message: 'The line is not valid JSON.' },
      { row: 3, email: null, field: null, message: 'Each line must be a JSON object.' },
      { row: 4, email: 'kim@example.com', field: 'phone', message: 'Unknown field "phone".' },
    ]);
    const contacts = await t.contacts();
    expect(contacts.get('jo@example.com')).toMatchObject({ first_name: 'Jo', properties: { plan: 'pro', address: { city: 'Oslo' } }, tags: ['a'], source: 'import' });
    expect(contacts.get('lee@example.com')).toMatchObject({ subscribed: false, timezone: 'Asia/Tokyo', source: 'app' });
  }, 60_000);

  it('takes the format from the body when the key has no known extension', async () => {
    const t = await setup('import-format');
    await t.upload('export.txt', '{"email":"fmt@example.com"}\n', 'text/plain');
    const refused = await call(stack.url, 'POST', '/v1/contacts/import', { key: t.key, body: { bucket: t.bucket, key: 'export.txt' } });
    expectError(refused, 422, 'validation_error');
    expect(refused.body.error.param).toBe('format');
    const job = await t.finished((await t.start({ key: 'export.txt', format: 'jsonl' })).id);
    expect(job.rows).toMatchObject({ created: 1 });
  });
});

describe('starting an import', () => {
  it('refuses a missing bucket or object (422 naming the field) and an object over the size cap (413)', async () => {
    const t = await setup('import-refused');
    const missingObject = await call(stack.url, 'POST', '/v1/contacts/import', { key: t.key, body: { bucket: t.bucket, key: 'nope.csv' } });
    expectError(missingObject, 422, 'validation_error');
    expect(missingObject.body.error.param).toBe('key');
    const missingBucket = await call(stack.url, 'POST', '/v1/contacts/import', { key: t.key, body: { bucket: uniqueSlug('none'), key: 'a.csv' } });
    expectError(missingBucket, 422, 'validation_error');
    expect(missingBucket.body.error.param).toBe('bucket');

    // Larger than one PUT to the local S3 takes: stored in parts, as a client's multipart upload would.
    const { s3 } = await import('../../functions/shared/clients.js');
    const { physicalKey } = await import('../../functions/domain/storage.js');
    const Key = physicalKey(t.team.id, t.bucket, 'huge.csv');
    await new Upload({ client: s3, params: { Bucket: process.env.MEDIA_BUCKET!, Key, Body: Buffer.alloc(MAX_IMPORT_OBJECT_BYTES + 1, 'a') }, partSize: 10 * 1024 * 1024 }).done();
    const huge = await call(stack.url, 'POST', '/v1/contacts/import', { key: t.key, body: { bucket: t.bucket, key: 'huge.csv' } });
    expectError(huge, 413, 'payload_too_large');
    expect(huge.body.error).toMatchObject({ param: 'key', size_bytes: MAX_IMPORT_OBJECT_BYTES + 1, max_bytes: MAX_IMPORT_OBJECT_BYTES });
    expect((await call(stack.url, 'GET', '/v1/contacts/imports', { key: t.key })).body.data).toEqual([]);
  }, 30_000);

  it("another team's key gets 404 for the job and its errors", async () => {
    const t = await setup('import-owner');
    await t.upload('a.csv', 'email\nmine@example.com\n');
    const { id } = await t.start({ key: 'a.csv' });
    const other = (await createTeam(stack, 'import-other')).adminKey;
    expectError(await call(stack.url, 'GET', `/v1/contacts/imports/${id}`, { key: other }), 404, 'not_found');
    expectError(await call(stack.url, 'GET', `/v1/contacts/imports/${id}/errors`, { key: other }), 404, 'not_found');
    const othersList = await call(stack.url, 'GET', '/v1/contacts/imports', { key: other });
    expect(othersList.body, JSON.stringify(othersList.body)).toEqual({ data: [], next_cursor: null });
  });
});

describe('redelivery', () => {
  it('counts a chunk once however often its message is delivered, at the same time or later', async () => {
    const t = await setup('import-redeliver');
    const total = CHUNK_ROWS + 50;
    const lines = ['email'];
    for (let row = 1; row <= total; row++) lines.push(`r${row}@example.com`);
    await t.upload('again.csv', `${lines.join('\n')}\n`);
    const { id } = await t.start({ key: 'again.csv' });
    const first = { team_id: t.team.id, import_id: id, seq: 0 };
    // The queued message is being consumed by the pollers meanwhile: three deliveries of chunk 0 at once.
    await Promise.all([deliverChunk(first), deliverChunk(first)]);
    const job = await t.finished(id, 60_000);
    expect(job.rows.total_so_far).toBe(total);
    expect(job.rows.created + job.rows.unchanged).toBe(total);
    // Later redeliveries of every chunk change nothing.
    for (const seq of [0, 1]) await deliverChunk({ ...first, seq }, 2);
    const after = (await call(stack.url, 'GET', `/v1/contacts/imports/${id}`, { key: t.key })).body;
    expect(after.rows).toEqual(job.rows);
    expect(after.updated_at).toBe(job.updated_at);
    expect((await t.contacts()).size).toBe(total);
  }, 90_000);

  it('a retried chunk whose first attempt wrote rows and stopped counts them as created and publishes their events', async () => {
    const t = await setup('import-retry');
    await call(stack.url, 'POST', '/v1/webhooks', { key: t.key, body: { url: `${receiver.url}/${t.team.id}`, event_types: ['contact.created'] } });
    const emails = ['p1@example.com', 'p2@example.com', 'p3@example.com'];
    await t.upload('retry.csv', `email\n${emails.join('\n')}\n`);
    const job = await unqueuedJob(t, 'retry.csv');
    // The first attempt wrote two rows and stopped before publishing their events or counting them.
    const { identifyContact } = await import('../../functions/repositories/contacts.js');
    for (const email of emails.slice(0, 2)) await identifyContact(t.team.id, { email });
    await deliverChunk({ team_id: t.team.id, import_id: job.id, seq: 0 }, 2);
    const done = (await call(stack.url, 'GET', `/v1/contacts/imports/${job.id}`, { key: t.key })).body;
    expect(done).toMatchObject({ status: 'completed', rows: { total_so_far: 3, created: 3, unchanged: 0 } });
    await expectEventually(async () => expect(receiver.at(`/${t.team.id}`).map((r) => JSON.parse(r.body).data.email).sort()).toEqual(emails), 15_000);
  }, 60_000);

  it('fails the job when the object is replaced between two chunks, rather than mixing two files', async () => {
    const t = await setup('import-replaced');
    await t.upload('moving.csv', 'email\nfirst@example.com\n');
    const job = await unqueuedJob(t, 'moving.csv');
    await t.upload('moving.csv', 'email\nsecond@example.com\n');
    await deliverChunk({ team_id: t.team.id, import_id: job.id, seq: 0 });
    const failed = (await call(stack.url, 'GET', `/v1/contacts/imports/${job.id}`, { key: t.key })).body;
    expect(failed).toMatchObject({ status: 'failed', error: expect.stringMatching(/^The object was replaced during the import, before row 1/), rows: { total_so_far: 0 } });
    expect((await t.contacts()).size).toBe(0);
  });
});
