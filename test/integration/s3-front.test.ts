/**
 * The local S3 front (local/s3-front.ts) through the real SDK and fetch: presigned URLs verified as S3 does,
 * bucket notifications to SQS, object tagging, the CloudFront-like public path and large objects streamed.
 * No queue workers run here; notification records are read straight from a queue of this file's own.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  DeleteObjectTaggingCommand,
  GetBucketNotificationConfigurationCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  PutBucketNotificationConfigurationCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  S3Client,
  type QueueConfiguration,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { CreateQueueCommand, DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { LOCAL_AWS } from '../../local/aws-env.js';
import { publicMediaUrl } from '../../local/runtime.js';
import { startS3Front } from '../../local/s3-front.js';
import { PUBLIC_TAG } from '../../functions/schemas/storage.js';
import { endpoints } from '../support/local-stack.js';

const run = `${process.pid}-${Date.now().toString(36)}`;
const bucket = `s3-front-${run}`;
const s3 = new S3Client({ endpoint: endpoints().s3, ...LOCAL_AWS, forcePathStyle: true });
// By default the SDK signs a CRC32 of the (absent) body into a presigned PutObject URL; the functions' client
// turns that off the same way (functions/shared/clients.ts).
const presigner = new S3Client({ endpoint: endpoints().s3, ...LOCAL_AWS, forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED' });
const sqs = new SQSClient({ endpoint: endpoints().sqsS3, ...LOCAL_AWS, useQueueUrlAsEndpoint: false });
const UNICODE_KEY = 'media/photos/2026/été plage+1=(a).jpg';
let queueUrl: string;
let queueArn: string;

interface S3EventRecord {
  eventVersion: string;
  eventSource: string;
  awsRegion: string;
  eventTime: string;
  eventName: string;
  s3: {
    s3SchemaVersion: string;
    configurationId: string;
    bucket: { name: string; arn: string };
    object: { key: string; size?: number; eTag?: string; sequencer: string };
  };
}

/** Every message now in the queue (the front sends before it answers the write), deleted once read. */
async function drain(): Promise<unknown[]> {
  const bodies: unknown[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
    if (Messages.length === 0) return bodies;
    bodies.push(...Messages.map((m) => JSON.parse(m.Body!)));
    await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
  }
}

/** The records of the messages now in the queue, one record per message as S3 sends them. */
async function records(): Promise<S3EventRecord[]> {
  const bodies = (await drain()) as { Records: S3EventRecord[] }[];
  for (const body of bodies) expect(body.Records).toHaveLength(1);
  return bodies.map((body) => body.Records[0]!);
}

const errorCode = (xml: string) => /<Code>([^<]*)<\/Code>/.exec(xml)?.[1];
const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

async function presignPut(key: string, contentLength: number, contentType = 'image/jpeg', options: { expiresIn?: number; signingDate?: Date } = {}) {
  return getSignedUrl(presigner, new PutObjectCommand({ Bucket: bucket, Key: key, ContentType: contentType, ContentLength: contentLength }), {
    expiresIn: options.expiresIn ?? 300,
    signingDate: options.signingDate,
    signableHeaders: new Set(['content-type', 'content-length']),
  });
}

async function objectExists(key: string): Promise<boolean> {
  return s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })).then(
    () => true,
    (error: { name: string }) => (error.name === 'NotFound' ? false : Promise.reject(error)),
  );
}

const notifications: QueueConfiguration[] = [];

beforeAll(async () => {
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `s3-front-events-${run}` }))).QueueUrl!;
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
  queueArn = Attributes!.QueueArn!;
  const media = { Key: { FilterRules: [{ Name: 'prefix' as const, Value: 'media/' }] } };
  notifications.push(
    { Id: 'media-created', QueueArn: queueArn, Events: ['s3:ObjectCreated:*'], Filter: media },
    { Id: 'media-removed', QueueArn: queueArn, Events: ['s3:ObjectRemoved:*'], Filter: media },
  );
  await s3.send(new PutBucketNotificationConfigurationCommand({ Bucket: bucket, NotificationConfiguration: { QueueConfigurations: notifications } }));
});

afterAll(() => {
  for (const client of [s3, presigner, sqs]) client.destroy();
});

describe('bucket notification configuration', () => {
  it('is confirmed with an s3:TestEvent and read back as put', async () => {
    expect(await drain()).toEqual([
      { Service: 'Amazon S3', Event: 's3:TestEvent', Time: expect.any(String), Bucket: bucket, RequestId: expect.any(String), HostId: expect.any(String) },
    ]);
    const { QueueConfigurations } = await s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: bucket }));
    expect(QueueConfigurations).toEqual([
      { Id: 'media-created', QueueArn: queueArn, Events: ['s3:ObjectCreated:*'], Filter: { Key: { FilterRules: [{ Name: 'Prefix', Value: 'media/' }] } } },
      { Id: 'media-removed', QueueArn: queueArn, Events: ['s3:ObjectRemoved:*'], Filter: { Key: { FilterRules: [{ Name: 'Prefix', Value: 'media/' }] } } },
    ]);
  });

  it('refuses a queue that does not exist, overlapping rules, unknown events and a missing bucket as S3 does', async () => {
    const put = (QueueConfigurations: QueueConfiguration[], Bucket = bucket) =>
      s3.send(new PutBucketNotificationConfigurationCommand({ Bucket, NotificationConfiguration: { QueueConfigurations } })).catch((e: Error) => e);
    const missingQueue = await put([{ QueueArn: `${queueArn}-missing`, Events: ['s3:ObjectCreated:*'] }]);
    expect(missingQueue).toMatchObject({ name: 'InvalidArgument', message: 'Unable to validate the following destination configurations' });
    const overlapping = await put([
      { QueueArn: queueArn, Events: ['s3:ObjectCreated:*'] },
      { QueueArn: queueArn, Events: ['s3:ObjectCreated:Put'], Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'media/' }] } } },
    ]);
    expect(overlapping).toMatchObject({ name: 'InvalidArgument', message: expect.stringMatching(/overlapping/) });
    expect(await put([{ QueueArn: queueArn, Events: ['s3:ObjectCreated:Teleport' as 's3:ObjectCreated:*'] }])).toMatchObject({ name: 'InvalidArgument' });
    expect(await put([{ QueueArn: queueArn, Events: ['s3:ObjectCreated:*'] }], `${bucket}-missing`)).toMatchObject({ name: 'NoSuchBucket' });
    // Nothing refused replaced the configuration.
    const { QueueConfigurations } = await s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: bucket }));
    expect(QueueConfigurations?.map((c) => c.Id)).toEqual(['media-created', 'media-removed']);
    expect(await drain()).toEqual([]);
  });
});

describe('presigned URLs', () => {
  it('sign content-length whenever it is given and content-type only when listed in signableHeaders', async () => {
    const command = () => new PutObjectCommand({ Bucket: bucket, Key: 'media/a.jpg', ContentType: 'image/jpeg', ContentLength: 100 });
    const signed = async (options: Parameters<typeof getSignedUrl>[2]) => new URL(await getSignedUrl(presigner, command(), options)).searchParams.get('X-Amz-SignedHeaders');
    expect(await signed({})).toBe('content-length;host');
    expect(await signed({ signableHeaders: new Set(['content-type']) })).toBe('content-length;content-type;host');
    expect(await signed({ signableHeaders: new Set(['content-type', 'content-length']) })).toBe('content-length;content-type;host');
  });

  it('store exactly the signed upload, read back through a presigned GET, with its ObjectCreated:Put record', async () => {
    const body = randomBytes(100);
    const url = await presignPut(UNICODE_KEY, 100);
    expect(new URL(url).pathname).toBe(`/${bucket}/media/photos/2026/%C3%A9t%C3%A9%20plage%2B1%3D%28a%29.jpg`);
    const put = await fetch(url, { method: 'PUT', body, headers: { 'content-type': 'image/jpeg' } });
    expect(put.status, await put.clone().text()).toBe(200);
    const etag = put.headers.get('etag');
    expect(etag).toBe(`"${createHash('md5').update(body).digest('hex')}"`);

    const get = await fetch(await getSignedUrl(presigner, new GetObjectCommand({ Bucket: bucket, Key: UNICODE_KEY }), { expiresIn: 60 }));
    expect(get.status).toBe(200);
    expect(get.headers.get('content-type')).toBe('image/jpeg');
    expect(Buffer.from(await get.arrayBuffer()).equals(body)).toBe(true);

    const [record, ...others] = await records();
    expect(others).toEqual([]);
    expect(record).toEqual({
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: LOCAL_AWS.region,
      eventTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      eventName: 'ObjectCreated:Put',
      userIdentity: { principalId: expect.any(String) },
      requestParameters: { sourceIPAddress: expect.any(String) },
      responseElements: { 'x-amz-request-id': expect.any(String), 'x-amz-id-2': expect.any(String) },
      s3: {
        s3SchemaVersion: '1.0',
        configurationId: 'media-created',
        bucket: { name: bucket, ownerIdentity: { principalId: expect.any(String) }, arn: `arn:aws:s3:::${bucket}` },
        // Form-urlencoded as S3 writes keys in events: spaces as '+', a '+' as %2B, slashes kept.
        object: { key: 'media/photos/2026/%C3%A9t%C3%A9+plage%2B1%3D%28a%29.jpg', size: 100, eTag: etag!.slice(1, -1), sequencer: expect.stringMatching(/^[0-9A-F]{18}$/) },
      },
    });
    expect(decodeURIComponent(record!.s3.object.key.replace(/\+/g, ' '))).toBe(UNICODE_KEY);
  });

  it('refuse a body larger than the signed content-length: SignatureDoesNotMatch, nothing stored, no record', async () => {
    const key = 'media/too-long.jpg';
    const res = await fetch(await presignPut(key, 100), { method: 'PUT', body: randomBytes(200), headers: { 'content-type': 'image/jpeg' } });
    expect(res.status).toBe(403);
    const xml = await res.text();
    expect(errorCode(xml)).toBe('SignatureDoesNotMatch');
    expect(xml).toMatch(/<Message>The request signature we calculated does not match the signature you provided\./);
    // S3's error names what it signed, which is how a client finds the header that differs.
    expect(xml).toContain('content-length:200');
    expect(await objectExists(key)).toBe(false);
    expect(await drain()).toEqual([]);
  });

  it('refuse another content type than the signed one', async () => {
    const key = 'media/wrong-type.jpg';
    const res = await fetch(await presignPut(key, 10), { method: 'PUT', body: randomBytes(10), headers: { 'content-type': 'text/html' } });
    expect(res.status).toBe(403);
    expect(errorCode(await res.text())).toBe('SignatureDoesNotMatch');
    expect(await objectExists(key)).toBe(false);
  });

  it('refuse an expired URL with AccessDenied "Request has expired"', async () => {
    const key = 'media/expired.jpg';
    const url = await presignPut(key, 10, 'image/jpeg', { expiresIn: 60, signingDate: new Date(Date.now() - 120_000) });
    const res = await fetch(url, { method: 'PUT', body: randomBytes(10), headers: { 'content-type': 'image/jpeg' } });
    expect(res.status).toBe(403);
    const xml = await res.text();
    expect(errorCode(xml)).toBe('AccessDenied');
    expect(xml).toContain('<Message>Request has expired</Message>');
    expect(await objectExists(key)).toBe(false);
    expect(await drain()).toEqual([]);
  });

  it('refuse a tampered signature, a tampered parameter, another secret and an unknown access key', async () => {
    const key = 'media/tampered.jpg';
    const send = (url: string) => fetch(url, { method: 'PUT', body: randomBytes(10), headers: { 'content-type': 'image/jpeg' } });
    const url = new URL(await presignPut(key, 10));
    const signature = url.searchParams.get('X-Amz-Signature')!;
    url.searchParams.set('X-Amz-Signature', `${signature[0] === 'a' ? 'b' : 'a'}${signature.slice(1)}`);
    const tampered = await send(url.href);
    expect([tampered.status, errorCode(await tampered.text())]).toEqual([403, 'SignatureDoesNotMatch']);

    const longer = new URL(await presignPut(key, 10));
    longer.searchParams.set('X-Amz-Expires', '3600');
    const extended = await send(longer.href);
    expect([extended.status, errorCode(await extended.text())]).toEqual([403, 'SignatureDoesNotMatch']);

    const sign = (credentials: { accessKeyId: string; secretAccessKey: string }) => {
      const client = new S3Client({ endpoint: endpoints().s3, region: LOCAL_AWS.region, credentials, forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED' });
      return getSignedUrl(client, new PutObjectCommand({ Bucket: bucket, Key: key, ContentType: 'image/jpeg', ContentLength: 10 }), {
        signableHeaders: new Set(['content-type']),
      }).finally(() => client.destroy());
    };
    const otherSecret = await send(await sign({ accessKeyId: LOCAL_AWS.credentials.accessKeyId, secretAccessKey: 'not-the-secret' }));
    expect([otherSecret.status, errorCode(await otherSecret.text())]).toEqual([403, 'SignatureDoesNotMatch']);
    const otherKey = await send(await sign({ accessKeyId: 'AKIDSOMEONEELSE', secretAccessKey: 'local' }));
    expect([otherKey.status, errorCode(await otherKey.text())]).toEqual([403, 'InvalidAccessKeyId']);

    expect(await objectExists(key)).toBe(false);
    expect(await drain()).toEqual([]);
  });

  it('accept the CRC32 of an empty body the default client signs into the query, which S3 ignores', async () => {
    const key = 'media/default-client.jpg';
    const url = await getSignedUrl(s3, new PutObjectCommand({ Bucket: bucket, Key: key, ContentType: 'image/jpeg' }), { signableHeaders: new Set(['content-type']) });
    expect(new URL(url).searchParams.get('x-amz-checksum-crc32')).toBe('AAAAAA==');
    const res = await fetch(url, { method: 'PUT', body: randomBytes(10), headers: { 'content-type': 'image/jpeg' } });
    expect(res.status).toBe(200);
    expect((await records()).map((r) => [r.eventName, r.s3.object.key, r.s3.object.size])).toEqual([['ObjectCreated:Put', key, 10]]);
  });

  it('carry hoisted x-amz-* headers (metadata, tagging) as S3 reads them', async () => {
    const key = 'media/hoisted.jpg';
    const url = await getSignedUrl(presigner, new PutObjectCommand({ Bucket: bucket, Key: key, Metadata: { origin: 'upload' }, Tagging: 'kind=avatar' }));
    expect(new URL(url).searchParams.get('x-amz-meta-origin')).toBe('upload');
    expect((await fetch(url, { method: 'PUT', body: 'x' })).status).toBe(200);
    expect((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).Metadata).toEqual({ origin: 'upload' });
    expect((await s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key }))).TagSet).toEqual([{ Key: 'kind', Value: 'avatar' }]);
    await drain();
  });
});

describe('bucket notifications', () => {
  it('send ObjectCreated:Put for SDK writes under the prefix only', async () => {
    const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'media/sdk.txt', Body: 'hello world', ContentType: 'text/plain' }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'private/other.txt', Body: 'not media' }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'mediax/near-miss.txt', Body: 'not media either' }));
    expect((await records()).map((r) => [r.eventName, r.s3.configurationId, r.s3.object.key, r.s3.object.size, r.s3.object.eTag])).toEqual([
      ['ObjectCreated:Put', 'media-created', 'media/sdk.txt', 11, put.ETag!.slice(1, -1)],
    ]);
  });

  it('send ObjectCreated:Copy for a copy into the prefix', async () => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'private/source.txt', Body: 'copied bytes' }));
    await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'media/copy.txt', CopySource: `${bucket}/private/source.txt` }));
    expect((await records()).map((r) => [r.eventName, r.s3.object.key, r.s3.object.size])).toEqual([['ObjectCreated:Copy', 'media/copy.txt', 12]]);
  });

  it('send ObjectRemoved:Delete, without size, for DeleteObject and each key of DeleteObjects', async () => {
    for (const key of ['media/d1.txt', 'media/d2 x.txt', 'media/d3.txt']) await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: key }));
    const created = await records();
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'media/d1.txt' }));
    await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: [{ Key: 'media/d2 x.txt' }, { Key: 'media/d3.txt' }, { Key: 'private/source.txt' }] } }));
    const removed = await records();
    expect(removed.map((r) => [r.eventName, r.s3.configurationId, r.s3.object])).toEqual([
      ['ObjectRemoved:Delete', 'media-removed', { key: 'media/d1.txt', sequencer: expect.any(String) }],
      ['ObjectRemoved:Delete', 'media-removed', { key: 'media/d2+x.txt', sequencer: expect.any(String) }],
      ['ObjectRemoved:Delete', 'media-removed', { key: 'media/d3.txt', sequencer: expect.any(String) }],
    ]);
    // Per key, a later event has a greater sequencer (fixed width, so they compare as strings).
    for (const [i, r] of removed.entries()) expect(r.s3.object.sequencer > created[i]!.s3.object.sequencer).toBe(true);
    expect(await objectExists('private/source.txt')).toBe(false);
  });

  it('send one ObjectCreated:CompleteMultipartUpload for a 12 MB lib-storage upload', async () => {
    const body = randomBytes(12 * 1024 * 1024);
    const upload = new Upload({ client: s3, params: { Bucket: bucket, Key: 'media/video.mp4', Body: body, ContentType: 'video/mp4' } });
    const result = await upload.done();
    expect(result.ETag).toMatch(/-3"$/);
    // Location names the endpoint that was called, as S3's does.
    expect(result.Location).toBe(`${endpoints().s3}/${bucket}/media/video.mp4`);
    expect((await records()).map((r) => [r.eventName, r.s3.object.key, r.s3.object.size, r.s3.object.eTag])).toEqual([
      ['ObjectCreated:CompleteMultipartUpload', 'media/video.mp4', body.length, result.ETag!.slice(1, -1)],
    ]);
  });
});

describe('object tagging', () => {
  const tags = async (Key: string) => (await s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key }))).TagSet;

  it('round-trips PutObjectTagging, GetObjectTagging and DeleteObjectTagging', async () => {
    const Key = 'private/tagged.txt';
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: 'x' }));
    expect(await tags(Key)).toEqual([]);
    const TagSet = [
      { Key: 'team', Value: 'team_1' },
      { Key: 'note', Value: 'a b+c=d/e:f@g' },
    ];
    await s3.send(new PutObjectTaggingCommand({ Bucket: bucket, Key, Tagging: { TagSet } }));
    expect(await tags(Key)).toEqual(TagSet);
    await s3.send(new DeleteObjectTaggingCommand({ Bucket: bucket, Key }));
    expect(await tags(Key)).toEqual([]);
  });

  it('takes x-amz-tagging on PutObject, replaces tags with the object and copies them unless told otherwise', async () => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'private/t.txt', Body: 'x', Tagging: 'a=1&b=two%20words' }));
    expect(await tags('private/t.txt')).toEqual([
      { Key: 'a', Value: '1' },
      { Key: 'b', Value: 'two words' },
    ]);
    await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'private/t-copy.txt', CopySource: `${bucket}/private/t.txt` }));
    expect(await tags('private/t-copy.txt')).toEqual([
      { Key: 'a', Value: '1' },
      { Key: 'b', Value: 'two words' },
    ]);
    await s3.send(
      new CopyObjectCommand({ Bucket: bucket, Key: 'private/t-replaced.txt', CopySource: `${bucket}/private/t.txt`, TaggingDirective: 'REPLACE', Tagging: 'c=3' }),
    );
    expect(await tags('private/t-replaced.txt')).toEqual([{ Key: 'c', Value: '3' }]);
    // A new object under the key has only the tags it was written with.
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'private/t.txt', Body: 'y' }));
    expect(await tags('private/t.txt')).toEqual([]);
  });

  it('forgets the tags of a deleted object', async () => {
    const Key = 'private/deleted.txt';
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: 'x', Tagging: 'keep=no' }));
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key }));
    await expect(tags(Key)).rejects.toMatchObject({ name: 'NoSuchKey' });
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: 'x' }));
    expect(await tags(Key)).toEqual([]);
  });

  it('refuses invalid tags and unknown objects as S3 does', async () => {
    const put = (Key: string, TagSet: { Key: string; Value: string }[]) =>
      s3.send(new PutObjectTaggingCommand({ Bucket: bucket, Key, Tagging: { TagSet } })).catch((e: Error) => e);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'private/v.txt', Body: 'x' }));
    expect(await put('private/v.txt', Array.from({ length: 11 }, (_, i) => ({ Key: `k${i}`, Value: 'v' })))).toMatchObject({ name: 'InvalidTag' });
    expect(await put('private/v.txt', [{ Key: 'aws:reserved', Value: 'v' }])).toMatchObject({ name: 'InvalidTag' });
    expect(await put('private/missing.txt', [{ Key: 'k', Value: 'v' }])).toMatchObject({ name: 'NoSuchKey' });
    await expect(s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'private/w.txt', Body: 'x', Tagging: 'a=1&a=2' }))).rejects.toMatchObject({ name: 'InvalidTag' });
    expect(await objectExists('private/w.txt')).toBe(false);
  });

  it('applies x-amz-tagging given to a multipart upload when it completes', async () => {
    const Key = 'private/multipart-tagged.bin';
    await new Upload({ client: s3, params: { Bucket: bucket, Key, Body: randomBytes(6 * 1024 * 1024), Tagging: 'kind=archive' } }).done();
    expect(await tags(Key)).toEqual([{ Key: 'kind', Value: 'archive' }]);
  });
});

describe('public path (CloudFront with OAC)', () => {
  const base = () => publicMediaUrl(endpoints(), bucket);
  const publicUrl = (key: string) => `${base()}/${key.split('/').map(encodeURIComponent).join('/')}`;

  it('serves objects tagged public, with their type, length and ETag, for GET and HEAD', async () => {
    const body = randomBytes(2048);
    const put = await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: UNICODE_KEY, Body: body, ContentType: 'image/jpeg', Tagging: `${PUBLIC_TAG.key}=${PUBLIC_TAG.value}` }),
    );
    const res = await fetch(publicUrl(UNICODE_KEY));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    expect(res.headers.get('content-length')).toBe('2048');
    expect(res.headers.get('etag')).toBe(put.ETag);
    expect(Buffer.from(await res.arrayBuffer()).equals(body)).toBe(true);
    const head = await fetch(publicUrl(UNICODE_KEY), { method: 'HEAD' });
    expect([head.status, head.headers.get('content-length'), head.headers.get('etag')]).toEqual([200, '2048', put.ETag]);
    const range = await fetch(publicUrl(UNICODE_KEY), { headers: { range: 'bytes=0-9' } });
    expect(range.status).toBe(206);
    expect(Buffer.from(await range.arrayBuffer()).equals(body.subarray(0, 10))).toBe(true);
    await drain();
  });

  it('answers 403 AccessDenied for untagged, otherwise tagged, missing and no-longer-public objects and other methods', async () => {
    const expectDenied = async (res: Response) => {
      expect(res.status).toBe(403);
      expect(errorCode(await res.text())).toBe('AccessDenied');
    };
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'media/untagged.jpg', Body: 'x' }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'media/private.jpg', Body: 'x', Tagging: `${PUBLIC_TAG.key}=private` }));
    await expectDenied(await fetch(publicUrl('media/untagged.jpg')));
    await expectDenied(await fetch(publicUrl('media/private.jpg')));
    await expectDenied(await fetch(publicUrl('media/never-written.jpg')));
    await expectDenied(await fetch(`${endpoints().s3}/_public/${bucket}-missing/media/x.jpg`));
    expect((await fetch(publicUrl('media/untagged.jpg'), { method: 'HEAD' })).status).toBe(403);

    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'media/was-public.jpg', Body: 'x', Tagging: `${PUBLIC_TAG.key}=${PUBLIC_TAG.value}` }));
    expect((await fetch(publicUrl('media/was-public.jpg'))).status).toBe(200);
    await expectDenied(await fetch(publicUrl('media/was-public.jpg'), { method: 'PUT', body: 'overwrite' }));
    await s3.send(new DeleteObjectTaggingCommand({ Bucket: bucket, Key: 'media/was-public.jpg' }));
    await expectDenied(await fetch(publicUrl('media/was-public.jpg')));
    await drain();
  });
});

it('streams a 30 MB object through byte-exact, by SDK, presigned URL and the public path', { timeout: 60_000 }, async () => {
  const body = randomBytes(30 * 1024 * 1024);
  const Key = 'private/large.bin';
  await new Upload({ client: s3, params: { Bucket: bucket, Key, Body: body, Tagging: `${PUBLIC_TAG.key}=${PUBLIC_TAG.value}` } }).done();
  const { Body, ContentLength } = await s3.send(new GetObjectCommand({ Bucket: bucket, Key }));
  expect(ContentLength).toBe(body.length);
  expect(sha256(await Body!.transformToByteArray())).toBe(sha256(body));
  const presigned = await fetch(await getSignedUrl(presigner, new GetObjectCommand({ Bucket: bucket, Key })));
  expect(presigned.headers.get('content-length')).toBe(String(body.length));
  expect(sha256(new Uint8Array(await presigned.arrayBuffer()))).toBe(sha256(body));
  const viaPublic = await fetch(`${publicMediaUrl(endpoints(), bucket)}/${Key}`);
  expect(sha256(new Uint8Array(await viaPublic.arrayBuffer()))).toBe(sha256(body));
});

it('refuses one request above what fauxqs takes (11 MiB) with EntityTooLarge, pointing at multipart', async () => {
  const Key = 'media/single-put-too-large.bin';
  await expect(s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: randomBytes(12 * 1024 * 1024) }))).rejects.toMatchObject({
    name: 'EntityTooLarge',
    message: expect.stringMatching(/multipart/),
  });
  expect(await objectExists(Key)).toBe(false);
  expect(await drain()).toEqual([]);
});

it('keeps notification configurations and tags in its state file across restarts', async () => {
  const dir = mkdtempSync(join(tmpdir(), 's3-front-'));
  const options = {
    port: 0,
    upstream: endpoints().sqsS3,
    sqsEndpoint: endpoints().sqsS3,
    region: LOCAL_AWS.region,
    credentials: LOCAL_AWS.credentials,
    stateFile: join(dir, 's3-front.json'),
  };
  const Bucket = `${bucket}-restart`;
  try {
    const first = await startS3Front(options);
    const client = new S3Client({ endpoint: first.endpoint, ...LOCAL_AWS, forcePathStyle: true });
    await client.send(new CreateBucketCommand({ Bucket }));
    await client.send(new PutObjectCommand({ Bucket, Key: 'a.txt', Body: 'x', Tagging: 'kept=yes' }));
    await client.send(
      new PutBucketNotificationConfigurationCommand({
        Bucket,
        NotificationConfiguration: { QueueConfigurations: [{ Id: 'kept', QueueArn: queueArn, Events: ['s3:ObjectRemoved:Delete'] }] },
      }),
    );
    client.destroy();
    await first.stop();

    const second = await startS3Front(options);
    const again = new S3Client({ endpoint: second.endpoint, ...LOCAL_AWS, forcePathStyle: true });
    expect((await again.send(new GetObjectTaggingCommand({ Bucket, Key: 'a.txt' }))).TagSet).toEqual([{ Key: 'kept', Value: 'yes' }]);
    expect((await again.send(new GetBucketNotificationConfigurationCommand({ Bucket }))).QueueConfigurations?.map((c) => c.Id)).toEqual(['kept']);
    again.destroy();
    await second.stop();
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await drain();
  }
});
