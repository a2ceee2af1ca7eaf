import * as z from 'zod';
import { idOf, ListQuery, MimeType, pageOf, QueryFlag, ShortDescription, StrictBase64, Timestamp, someFieldGiven } from './common.js';
import { defineRoutes } from './contract.js';
import { MAX_UPLOAD_URL_SECONDS } from './storage-limits.js';

/** Where the storage API's objects live in the media bucket: `media/<team>/<bucket slug>/<key>`. */
export const MEDIA_KEY_PREFIX = 'media/';
/** The tag that lets the CDN serve an object (set on every object of a public bucket). */
export const PUBLIC_TAG = { key: 'mailroom-visibility', value: 'public' } as const;

/** Lowercase letters, digits and hyphens, 3–63 characters, starting and ending with a letter or digit. */
export const BucketSlug = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9](?:[a-z0-9-]{1,61})[a-z0-9]$/, 'Use 3–63 lowercase letters, digits and hyphens, starting and ending with a letter or digit.');

export const Visibility = z.enum(['private', 'public']);

export const MAX_OBJECT_KEY_BYTES = 900;
/** A whole object sent through the API (base64 in JSON): Lambda's 6 MB request payload leaves room for about 4 MB. */
export const MAX_DIRECT_UPLOAD_BYTES = 4_000_000;
/** S3's limit for one PUT; larger files need multipart uploads, which presigned single PUTs do not cover. */
export const MAX_UPLOAD_BYTES = 5 * 1024 ** 3;

/**
 * An object key: UTF-8, at most MAX_OBJECT_KEY_BYTES bytes (the physical key adds the team and bucket in front
 * of it within S3's 1,024), no control characters, no backslash, no `?` or `#` (they would end the path in
 * object URLs), no empty, `.` or `..` segment, no leading `/`.
 */
export const ObjectKey = z.string().superRefine((key, ctx) => {
  const problem =
    key.length === 0
      ? 'Must not be empty.'
      : Buffer.byteLength(key) > MAX_OBJECT_KEY_BYTES
        ? `Must be at most ${MAX_OBJECT_KEY_BYTES} bytes in UTF-8.`
        : /[\u0000-\u001f\u007f\\?#]/.test(key)
          ? 'Must not contain control characters, backslashes, "?" or "#".'
          : key.split('/').some((segment, i, all) => (segment === '' && i < all.length - 1) || segment === '.' || segment === '..')
            ? 'Must not start with "/", contain "//", or have "." or ".." segments.'
            : undefined;
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});


export const CreateBucketBody = z.strictObject({
  slug: BucketSlug,
  visibility: Visibility.default('private').describe('"public" objects are readable by anyone at public_url; "private" ones only through presigned links.'),
  description: ShortDescription.default(null),
}).meta({ id: 'CreateBucketBody' });
export type CreateBucketBody = z.output<typeof CreateBucketBody>;

export const UpdateBucketBody = z
  .strictObject({ visibility: Visibility.optional(), description: ShortDescription.optional() })
  .refine(...someFieldGiven)
  .meta({ id: 'UpdateBucketBody' });
export type UpdateBucketBody = z.output<typeof UpdateBucketBody>;

export const Bucket = z
  .object({
    id: idOf('bucket'),
    slug: z.string().describe('The bucket\'s name within the team; the API addresses it by slug.'),
    visibility: Visibility,
    description: z.string().nullable(),
    object_count: z.number().int().describe('Counted from storage notifications: it follows an upload shortly after it completes.'),
    size_bytes: z.number().int().describe('Bytes stored, counted like object_count.'),
    public_url: z.string().nullable().describe('Base URL of the objects when the bucket is public: <public_url>/<key>.'),
    created_at: Timestamp,
    updated_at: Timestamp,
    version: z.number().int().describe('Also the ETag: send it back as If-Match on PATCH.'),
  })
  .meta({ id: 'Bucket' });
export type Bucket = z.infer<typeof Bucket>;

export const BucketDeleted = z.object({ slug: z.string(), deleted: z.literal(true) });
export type BucketDeleted = z.infer<typeof BucketDeleted>;

export const BucketParams = z.strictObject({ slug: BucketSlug });
export const ObjectParams = z.strictObject({ slug: BucketSlug, key: ObjectKey });
export const ListBucketsQuery = ListQuery;
export const DeleteBucketQuery = z.strictObject({
  force: QueryFlag.default(false).describe('Delete a bucket that still has objects: it disappears now and is emptied in the background.'),
});

export const ListObjectsQuery = z.strictObject({
  prefix: z.string().max(MAX_OBJECT_KEY_BYTES).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().min(1).max(2048).optional(),
});

export const StoredObject = z
  .object({
    key: z.string().describe('The object\'s key within its bucket.'),
    size: z.number().int().describe('Bytes.'),
    etag: z.string().describe('The storage ETag, with its quotes.'),
    last_modified: Timestamp,
  })
  .meta({ id: 'BucketObject' });

export const ObjectPage = pageOf(StoredObject);
export type ObjectPage = z.infer<typeof ObjectPage>;

export const ObjectDetails = StoredObject.extend({
  content_type: z.string(),
  public_url: z.string().nullable().describe('Where anyone can read it, when its bucket is public.'),
  download_url: z.string().describe('A presigned GET, valid until download_expires_at.'),
  download_expires_at: Timestamp,
}).meta({ id: 'BucketObjectDetails' });
export type ObjectDetails = z.infer<typeof ObjectDetails>;

export const ObjectDeleted = z.object({ key: z.string(), deleted: z.literal(true) });
export type ObjectDeleted = z.infer<typeof ObjectDeleted>;

export const GetObjectQuery = z.strictObject({
  expires_in: z.coerce.number().int().min(60).max(43_200).default(3600).describe('Seconds the download link stays valid.'),
});

export const CreateUploadBody = z.strictObject({
  key: ObjectKey,
  size: z.number().int().min(1).max(MAX_UPLOAD_BYTES).describe('Exact size in bytes; storage refuses a body of any other size.'),
  content_type: MimeType.default('application/octet-stream'),
  expires_in: z.number().int().min(60).max(MAX_UPLOAD_URL_SECONDS).default(900).describe('Seconds the upload link stays valid.'),
}).meta({ id: 'CreateUploadBody' });
export type CreateUploadBody = z.output<typeof CreateUploadBody>;

export const PresignedUpload = z
  .object({
    key: z.string(),
    method: z.literal('PUT'),
    url: z.string().describe('Send the file here, without an Authorization header.'),
    headers: z
      .object({ 'content-type': z.string(), 'content-length': z.string() })
      .describe('Send exactly these headers: the signature covers them, so storage refuses another size or type.'),
    expires_at: Timestamp.describe('The link stops working at this time.'),
  })
  .meta({ id: 'BucketUpload' });
export type PresignedUpload = z.infer<typeof PresignedUpload>;

export const PutObjectBody = z.strictObject({
  key: ObjectKey,
  content: StrictBase64,
  content_type: MimeType.default('application/octet-stream'),
}).meta({ id: 'PutObjectBody' });
export type PutObjectBody = z.output<typeof PutObjectBody>;

export const PutObjectResult = z
  .object({ key: z.string(), size: z.number().int().describe('Bytes stored.'), etag: z.string(), content_type: z.string() })
  .meta({ id: 'BucketObjectStored' });
export type PutObjectResult = z.infer<typeof PutObjectResult>;

export const StorageUsage = z
  .object({
    used_bytes: z.number().int().describe('Bytes stored in all the team\'s buckets.'),
    object_count: z.number().int(),
    quota_bytes: z.number().int().describe('0 means unlimited.'),
  })
  .meta({ id: 'StorageUsage' });
export type StorageUsage = z.infer<typeof StorageUsage>;

export const STORAGE_ROUTES = defineRoutes({
  'buckets.create': {
    summary: 'Create a bucket',
    description: [
      'A bucket is a named set of objects of the team. Its slug is unique within the team; the slug of a bucket being emptied after a forced delete',
      'stays taken until it is empty (409 with `retryable: true`). Objects of a `public` bucket are readable by anyone at `public_url`.',
    ].join(' '),
    body: CreateBucketBody,
    responses: { 201: Bucket },
    errors: ['conflict'],
  },
  'buckets.list': {
    summary: 'List buckets',
    description: "The team's buckets, newest first. Pass `next_cursor` back as `cursor` for the next page.",
    query: ListBucketsQuery,
    responses: { 200: pageOf(Bucket) },
  },
  'buckets.get': {
    summary: 'Get a bucket',
    params: BucketParams,
    responses: { 200: Bucket },
  },
  'buckets.update': {
    summary: 'Update a bucket',
    description: [
      'Changes the visibility or the description. A visibility change applies to new objects at once and to existing ones as a background job reaches them;',
      'it is queued whenever `visibility` is given, so repeating the PATCH is safe.',
    ].join(' '),
    params: BucketParams,
    body: UpdateBucketBody,
    responses: { 200: Bucket },
    headers: ['If-Match'],
  },
  'buckets.delete': {
    summary: 'Delete a bucket',
    description: [
      'An empty bucket goes at once. A bucket with objects is a 409 `conflict` unless `force=true`:',
      'then it disappears from the API now and its objects are deleted in the background.',
    ].join(' '),
    params: BucketParams,
    query: DeleteBucketQuery,
    responses: { 200: BucketDeleted },
    errors: ['conflict'],
  },
  'bucket-uploads.create': {
    summary: 'Get an upload link',
    description: [
      `A presigned PUT for one object of up to 5 GiB: send exactly \`size\` bytes with the returned \`headers\` to \`url\` before \`expires_at\`;`,
      'storage refuses any other size or content type. An object with the same key is replaced.',
      "The size is checked against the team's storage quota when the link is made.",
    ].join(' '),
    params: BucketParams,
    body: CreateUploadBody,
    responses: { 201: PresignedUpload },
    errors: ['storage_quota_exceeded'],
  },
  'bucket-objects.create': {
    summary: 'Upload a small object',
    description: [
      `Stores base64 \`content\` of up to ${MAX_DIRECT_UPLOAD_BYTES.toLocaleString('en-US')} bytes (decoded) in one request; larger files go through POST /v1/buckets/{slug}/uploads.`,
      "An object with the same key is replaced. Counts against the team's storage quota.",
    ].join(' '),
    params: BucketParams,
    body: PutObjectBody,
    responses: { 201: PutObjectResult },
    errors: ['payload_too_large', 'storage_quota_exceeded'],
  },
  'bucket-objects.list': {
    summary: 'List objects',
    description: "The bucket's objects in key order (not newest first), optionally only keys starting with `prefix`. Pass `next_cursor` back as `cursor` for the next page.",
    params: BucketParams,
    query: ListObjectsQuery,
    responses: { 200: ObjectPage },
  },
  'bucket-objects.get': {
    summary: 'Get an object',
    description: 'Its size, type and ETag, with a presigned download link valid for `expires_in` seconds and, in a public bucket, its public URL. The key may contain slashes.',
    params: ObjectParams,
    query: GetObjectQuery,
    responses: { 200: ObjectDetails },
  },
  'bucket-objects.delete': {
    summary: 'Delete an object',
    params: ObjectParams,
    responses: { 200: ObjectDeleted },
  },
  'storage-usage.get': {
    summary: 'Get storage usage',
    description: "Bytes and objects stored in all the team's buckets, counted from storage notifications (an upload shows here shortly after it completes), and the team's quota.",
    responses: { 200: StorageUsage },
  },
});
