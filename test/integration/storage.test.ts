/**
 * Media storage end to end: buckets, presigned uploads checked by the storage layer itself, byte-exact
 * downloads, listing, usage counted from S3's notifications, quotas, public buckets, forced deletes, and
 * stored objects attached to emails by reference.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, createTeam, endpoints, startLocalStack, type LocalStack } from '../support/local-stack.js';
import { eventually, expectError } from '../support/http.js';
import { withEnv } from '../support/env.js';
import { uniqueSlug } from './route-cases/storage.js';
import { applyObjectChange } from '../../functions/repositories/storage.js';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { LOCAL_AWS } from '../../local/aws-env.js';
import { LOCAL_MAIL } from '../../local/runtime.js';

let stack: LocalStack;
let key: string;

beforeAll(async () => {
  stack = await startLocalStack();
  key = (await createTeam(stack, 'storage')).adminKey;
});
afterAll(() => stack.stop());

async function newBucket(body: Record<string, unknown> = {}, apiKey = key) {
  const res = await call(stack.url, 'POST', '/v1/buckets', { key: apiKey, body: { slug: uniqueSlug('st'), ...body } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { slug: string; public_url: string | null } & Record<string, unknown>;
}

async function presignedUpload(slug: string, objectKey: string, bytes: Buffer, contentType = 'application/octet-stream', apiKey = key) {
  const upload = await call(stack.url, 'POST', `/v1/buckets/${slug}/uploads`, { key: apiKey, body: { key: objectKey, size: bytes.length, content_type: contentType } });
  expect(upload.status, JSON.stringify(upload.body)).toBe(201);
  return upload.body as { url: string; headers: Record<string, string>; expires_at: string };
}

const putTo = (url: string, body: Buffer, contentType: string) => fetch(url, { method: 'PUT', headers: { 'content-type': contentType }, body });
const usage = async (apiKey = key) => (await call(stack.url, 'GET', '/v1/storage/usage', { key: apiKey })).body as { used_bytes: number; object_count: number; quota_bytes: number };
const objectPath = (slug: string, objectKey: string) => `/v1/buckets/${slug}/objects/${objectKey.split('/').map(encodeURIComponent).join('/')}`;

describe('buckets', () => {
  it('creates, reads, lists, updates; a duplicate slug is 409; an unknown one 404', async () => {
    const bucket = await newBucket({ description: 'Avatars' });
    expect(bucket).toMatchObject({ visibility: 'private', public_url: null, object_count: 0, size_bytes: 0, description: 'Avatars' });
    expectError(await call(stack.url, 'POST', '/v1/buckets', { key, body: { slug: bucket.slug } }), 409, 'conflict');
    expect((await call(stack.url, 'GET', `/v1/buckets/${bucket.slug}`, { key })).body.id).toBe(bucket.id);
    expect((await call(stack.url, 'GET', '/v1/buckets?limit=100', { key })).body.data.map((b: any) => b.slug)).toContain(bucket.slug);
    const updated = await call(stack.url, 'PATCH', `/v1/buckets/${bucket.slug}`, { key, body: { description: null } });
    expect(updated.body).toMatchObject({ description: null, version: 2 });
    expectError(await call(stack.url, 'GET', '/v1/buckets/does-not-exist', { key }), 404, 'not_found');
  });

  it('refuses to delete a bucket with objects unless forced; forced, it is emptied in the background and the slug is free again once its upload links expired', async () => {
    const bucket = await newBucket();
    for (const name of ['a.txt', 'b/c.txt']) {
      const res = await call(stack.url, 'POST', `/v1/buckets/${bucket.slug}/objects`, { key, body: { key: name, content: Buffer.from(name).toString('base64') } });
      expect(res.status).toBe(201);
    }
    expectError(await call(stack.url, 'DELETE', `/v1/buckets/${bucket.slug}`, { key }), 409, 'conflict');
    expect((await call(stack.url, 'DELETE', `/v1/buckets/${bucket.slug}?force=true`, { key })).status).toBe(200);
    expectError(await call(stack.url, 'GET', `/v1/buckets/${bucket.slug}`, { key }), 404, 'not_found');
    // Reserved until every upload link handed out before the delete has expired (2 s in the tests, 1 h deployed).
    expectError(await call(stack.url, 'POST', '/v1/buckets', { key, body: { slug: bucket.slug } }), 409, 'conflict', 'slug still reserved', true);
    await eventually(async () => (await call(stack.url, 'POST', '/v1/buckets', { key, body: { slug: bucket.slug } })).status === 201, 20_000, 250);
    expect((await call(stack.url, 'GET', `/v1/buckets/${bucket.slug}/objects`, { key })).body.data).toEqual([]);
  }, 30_000);
});

describe('objects', () => {
  it('presigned upload with fetch, byte-exact download through the presigned GET, list, delete', async () => {
    const bucket = await newBucket();
    const bytes = randomBytes(256 * 1024);
    const upload = await presignedUpload(bucket.slug, 'photos/2026/été plage.jpg', bytes, 'image/jpeg');
    expect(upload.headers).toEqual({ 'content-type': 'image/jpeg', 'content-length': String(bytes.length) });
    expect((await putTo(upload.url, bytes, 'image/jpeg')).status).toBe(200);

    const details = await call(stack.url, 'GET', objectPath(bucket.slug, 'photos/2026/été plage.jpg'), { key });
    expect(details.body).toMatchObject({ key: 'photos/2026/été plage.jpg', size: bytes.length, content_type: 'image/jpeg', public_url: null });
    const download = await fetch(details.body.download_url);
    expect(download.status).toBe(200);
    expect(Buffer.from(await download.arrayBuffer()).equals(bytes)).toBe(true);

    const listed = await call(stack.url, 'GET', `/v1/buckets/${bucket.slug}/objects?prefix=photos/`, { key });
    expect(listed.body.data).toEqual([expect.objectContaining({ key: 'photos/2026/été plage.jpg', size: bytes.length })]);
    expect((await call(stack.url, 'DELETE', objectPath(bucket.slug, 'photos/2026/été plage.jpg'), { key })).status).toBe(200);
    expectError(await call(stack.url, 'GET', objectPath(bucket.slug, 'photos/2026/été plage.jpg'), { key }), 404, 'not_found');
  });

  it('the storage layer itself refuses a body larger than declared, or of another type; nothing is stored', async () => {
    const bucket = await newBucket();
    const upload = await presignedUpload(bucket.slug, 'doc.pdf', Buffer.alloc(100), 'application/pdf');
    expect((await putTo(upload.url, Buffer.alloc(101), 'application/pdf')).status).toBe(403);
    expect((await putTo(upload.url, Buffer.alloc(100), 'text/html')).status).toBe(403);
    expectError(await call(stack.url, 'GET', objectPath(bucket.slug, 'doc.pdf'), { key }), 404, 'not_found');
    expect((await putTo(upload.url, Buffer.alloc(100), 'application/pdf')).status).toBe(200);
  });

  it('pages through a listing with a cursor', async () => {
    const bucket = await newBucket();
    for (let i = 0; i < 5; i++) {
      await call(stack.url, 'POST', `/v1/buckets/${bucket.slug}/objects`, { key, body: { key: `f${i}.txt`, content: Buffer.from(String(i)).toString('base64') } });
    }
    const first = await call(stack.url, 'GET', `/v1/buckets/${bucket.slug}/objects?limit=3`, { key });
    expect(first.body.data).toHaveLength(3);
    const second = await call(stack.url, 'GET', `/v1/buckets/${bucket.slug}/objects?limit=3&cursor=${encodeURIComponent(first.body.next_cursor)}`, { key });
    expect([...first.body.data, ...second.body.data].map((o: any) => o.key)).toEqual(['f0.txt', 'f1.txt', 'f2.txt', 'f3.txt', 'f4.txt']);
    expect(second.body.next_cursor).toBeNull();
  });

  it("another team's key gets 404 for the bucket, its objects and its uploads", async () => {
    const bucket = await newBucket();
    await call(stack.url, 'POST', `/v1/buckets/${bucket.slug}/objects`, { key, body: { key: 'secret.txt', content: Buffer.from('mine').toString('base64') } });
    const other = (await createTeam(stack, 'storage-other')).adminKey;
    expectError(await call(stack.url, 'GET', `/v1/buckets/${bucket.slug}`, { key: other }), 404, 'not_found');
    expectError(await call(stack.url, 'GET', objectPath(bucket.slug, 'secret.txt'), { key: other }), 404, 'not_found');
    expectError(await call(stack.url, 'DELETE', objectPath(bucket.slug, 'secret.txt'), { key: other }), 404, 'not_found');
    expectError(await call(stack.url, 'POST', `/v1/buckets/${bucket.slug}/uploads`, { key: other, body: { key: 'x', size: 1 } }), 404, 'not_found');
    expect((await call(stack.url, 'GET', objectPath(bucket.slug, 'secret.txt'), { key })).status).toBe(200);
  });

  it('refuses keys with "..", control characters or over the length limit', async () => {
    const bucket = await newBucket();
    for (const bad of ['../x', 'a/../b', 'a\u0000b', 'x'.repeat(901), '/abs']) {
      const res = await call(stack.url, 'POST', `/v1/buckets/${bucket.slug}/uploads`, { key, body: { key: bad, size: 1 } });
      expectError(res, 422, 'validation_error', bad);
      expect(res.body.error.param).toBe('key');
    }
  });
});

describe('usage and quota', () => {
  it('counts presigned uploads once S3 reports them, and deletes too', async () => {
    const team = await createTeam(stack, 'storage-usage');
    const bucket = await newBucket({}, team.adminKey);
    const bytes = randomBytes(70_000);
    const upload = await presignedUpload(bucket.slug, 'big.bin', bytes, 'application/octet-stream', team.adminKey);
    expect((await putTo(upload.url, bytes, 'application/octet-stream')).status).toBe(200);
    await eventually(async () => (await usage(team.adminKey)).used_bytes === bytes.length, 10_000);
    expect(await usage(team.adminKey)).toMatchObject({ used_bytes: bytes.length, object_count: 1 });
    await eventually(async () => (await call(stack.url, 'GET', `/v1/buckets/${bucket.slug}`, { key: team.adminKey })).body.size_bytes === bytes.length, 5_000);

    // Replacing an object counts the difference; deleting gives it back.
    await call(stack.url, 'POST', `/v1/buckets/${bucket.slug}/objects`, { key: team.adminKey, body: { key: 'big.bin', content: Buffer.alloc(10).toString('base64') } });
    await eventually(async () => (await usage(team.adminKey)).used_bytes === 10, 10_000);
    await call(stack.url, 'DELETE', objectPath(bucket.slug, 'big.bin'), { key: team.adminKey });
    await eventually(async () => (await usage(team.adminKey)).object_count === 0, 10_000);
    expect((await usage(team.adminKey)).used_bytes).toBe(0);
  });

  it('refuses an upload that would go over the quota with 413 storage_quota_exceeded (default, or the team\'s own set by the root key)', async () => {
    const team = await createTeam(stack, 'storage-quota');
    const bucket = await newBucket({}, team.adminKey);
    const upload = (size: number) => call(stack.url, 'POST', `/v1/buckets/${bucket.slug}/uploads`, { key: team.adminKey, body: { key: 'x.bin', size } });
    await withEnv({ STORAGE_QUOTA_BYTES: '1000' }, async () => {
      expectError(await upload(1001), 413, 'storage_quota_exceeded');
      expect((await upload(1000)).status).toBe(201);
    });
    const patched = await call(stack.url, 'PATCH', `/v1/teams/${team.team.id}`, { key: stack.rootKey, body: { storage_quota_bytes: 500 } });
    expect(patched.body.storage_quota_bytes).toBe(500);
    const res = await upload(501);
    expectError(res, 413, 'storage_quota_exceeded');
    expect(res.body.error).toMatchObject({ used_bytes: 0, quota_bytes: 500 });
    expect((await usage(team.adminKey)).quota_bytes).toBe(500);
  });
});

describe('usage bookkeeping', () => {
  it('applies S3 notifications once and in sequencer order: a removal seen before its create leaves nothing counted', async () => {
    const team = await createTeam(stack, 'storage-order');
    const teamId = team.team.id;
    const bucket = await newBucket({}, team.adminKey);
    const change = (sequencer: string, size?: number) => applyObjectChange({ teamId, slug: bucket.slug, key: 'late.bin', sequencer, size });
    expect(await change('0000000000000000B0')).toBe(true);
    expect(await change('0000000000000000A0', 500)).toBe(false);
    expect(await change('0000000000000000A0', 500)).toBe(false);
    expect(await usage(team.adminKey)).toMatchObject({ used_bytes: 0, object_count: 0 });
    expect(await change('0000000000000000C0', 70)).toBe(true);
    expect(await change('0000000000000000C0', 70)).toBe(false);
    expect(await usage(team.adminKey)).toMatchObject({ used_bytes: 70, object_count: 1 });
  });
});

describe('public buckets', () => {
  it('serve objects at public_url; a private bucket does not; making it private takes them off', async () => {
    const bucket = await newBucket({ visibility: 'public' });
    expect(bucket.public_url).toMatch(/^http/);
    await call(stack.url, 'POST', `/v1/buckets/${bucket.slug}/objects`, { key, body: { key: 'logo.svg', content: Buffer.from('<svg/>').toString('base64'), content_type: 'image/svg+xml' } });
    const bytes = randomBytes(2048);
    const upload = await presignedUpload(bucket.slug, 'img/banner.png', bytes, 'image/png');
    await putTo(upload.url, bytes, 'image/png');
    const logo = await fetch(`${bucket.public_url}/logo.svg`);
    expect(logo.status).toBe(200);
    expect(await logo.text()).toBe('<svg/>');
    // A presigned upload is tagged public by the events worker once S3 reports it.
    await eventually(async () => (await fetch(`${bucket.public_url}/img/banner.png`)).status === 200, 10_000);

    await call(stack.url, 'PATCH', `/v1/buckets/${bucket.slug}`, { key, body: { visibility: 'private' } });
    await eventually(async () => (await fetch(`${bucket.public_url}/logo.svg`)).status === 403, 10_000);

    const privateBucket = await newBucket();
    await call(stack.url, 'POST', `/v1/buckets/${privateBucket.slug}/objects`, { key, body: { key: 'logo.svg', content: Buffer.from('<svg/>').toString('base64') } });
    expect((await fetch(`${bucket.public_url!.replace(bucket.slug, privateBucket.slug)}/logo.svg`)).status).toBe(403);
  }, 30_000);
});

describe('attachments by reference', () => {
  it('attaches a stored object to an email: the mail carries its bytes', async () => {
    const bucket = await newBucket();
    const bytes = randomBytes(30_000);
    const upload = await presignedUpload(bucket.slug, 'reports/q3.pdf', bytes, 'application/pdf');
    await putTo(upload.url, bytes, 'application/pdf');
    const subject = `Report ${uniqueSlug()}`;
    const sent = await call(stack.url, 'POST', '/v1/emails', {
      key,
      body: { from: 'reports@mailroom.test', to: 'reader@example.com', subject, text: 'Attached.', attachments: [{ bucket: bucket.slug, key: 'reports/q3.pdf' }] },
    });
    expect(sent.status, JSON.stringify(sent.body)).toBe(202);
    const mail = await eventually(async () => {
      const store = (await (await fetch(`${endpoints().ses}/store`)).json()) as { emails: { subject: string; attachments: { filename?: string; contentType: string; content: string }[] }[] };
      return store.emails.find((e) => e.subject === subject);
    }, 15_000);
    expect(mail.attachments).toEqual([expect.objectContaining({ filename: 'q3.pdf', contentType: 'application/pdf', content: bytes.toString('base64') })]);
  });

  it('messages sent from an inbox attach inline only: a stored object is a 422', async () => {
    const bucket = await newBucket();
    await call(stack.url, 'POST', `/v1/buckets/${bucket.slug}/objects`, { key, body: { key: 'a.txt', content: Buffer.from('a').toString('base64') } });
    const inbox = await call(stack.url, 'POST', '/v1/inboxes', { key, body: { username: uniqueSlug('stinbox') } });
    const res = await call(stack.url, 'POST', `/v1/inboxes/${inbox.body.id}/messages`, {
      key: inbox.body.api_key.key,
      body: { to: 'reader@example.com', subject: 'x', text: 'x', attachments: [{ bucket: bucket.slug, key: 'a.txt' }] },
    });
    expectError(res, 422, 'validation_error');
    expect(res.body.error.param).toBe('attachments.0');
  });

  it('copies nothing for a request that is not authenticated yet, even naming a key this process knows', async () => {
    const bucket = await newBucket();
    await call(stack.url, 'POST', `/v1/buckets/${bucket.slug}/objects`, { key, body: { key: 'a.txt', content: Buffer.from('a').toString('base64') } });
    const { id: teamId } = (await call(stack.url, 'GET', '/v1/me', { key })).body.team;
    const s3 = new S3Client({ endpoint: endpoints().sqsS3, ...LOCAL_AWS, forcePathStyle: true });
    const copies = async () => (await s3.send(new ListObjectsV2Command({ Bucket: LOCAL_MAIL.bucket, Prefix: `emails/${teamId}/` }))).KeyCount ?? 0;
    try {
      const before = await copies();
      // The key's id with another secret: the process has authenticated that key, so it starts on the request while checking it.
      const forged = `${key.slice(0, 'mr_'.length + 26 + 1)}${'A'.repeat(43)}`;
      const res = await call(stack.url, 'POST', '/v1/emails', {
        key: forged,
        body: { from: 'reports@mailroom.test', to: 'reader@example.com', subject: 'x', text: 'x', attachments: [{ bucket: bucket.slug, key: 'a.txt' }] },
      });
      expectError(res, 401, 'authentication_required');
      expect(await copies()).toBe(before);
    } finally {
      s3.destroy();
    }
  });

  it('a missing object is a 422 naming the attachment; nothing is sent', async () => {
    const bucket = await newBucket();
    const res = await call(stack.url, 'POST', '/v1/emails', {
      key,
      body: { from: 'reports@mailroom.test', to: 'reader@example.com', subject: 'x', text: 'x', attachments: [{ bucket: bucket.slug, key: 'nope.pdf' }] },
    });
    expectError(res, 422, 'validation_error');
    expect(res.body.error.param).toBe('attachments.0');
  });
});
