import * as z from 'zod';
import { idOf, ListQuery, MimeType, QueryFlag, ShortDescription, StrictBase64, Timestamp, someFieldGiven } from './common.js';

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
/** The longest an upload link stays valid; a force-deleted bucket's slug stays reserved this long after emptying. */
export const MAX_UPLOAD_URL_SECONDS = 3600;

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
});
export type CreateBucketBody = z.output<typeof CreateBucketBody>;

export const UpdateBucketBody = z
  .strictObject({ visibility: Visibility.optional(), description: ShortDescription.optional() })
  .refine(...someFieldGiven);
export type UpdateBucketBody = z.output<typeof UpdateBucketBody>;

export const Bucket = z.object({
  id: idOf('bucket'),
  slug: z.string(),
  visibility: Visibility,
  description: z.string().nullable(),
  object_count: z.number().int(),
  size_bytes: z.number().int(),
  public_url: z.string().nullable().describe('Base URL of the objects when the bucket is public: <public_url>/<key>.'),
  created_at: Timestamp,
  updated_at: Timestamp,
  version: z.number().int(),
});
export type Bucket = z.infer<typeof Bucket>;

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

export const StoredObject = z.object({
  key: z.string(),
  size: z.number().int(),
  etag: z.string(),
  last_modified: Timestamp,
});

export const ObjectDetails = StoredObject.extend({
  content_type: z.string(),
  public_url: z.string().nullable(),
  download_url: z.string().describe('A presigned GET, valid until download_expires_at.'),
  download_expires_at: Timestamp,
});

export const GetObjectQuery = z.strictObject({
  expires_in: z.coerce.number().int().min(60).max(43_200).default(3600).describe('Seconds the download link stays valid.'),
});

export const CreateUploadBody = z.strictObject({
  key: ObjectKey,
  size: z.number().int().min(1).max(MAX_UPLOAD_BYTES).describe('Exact size in bytes; storage refuses a body of any other size.'),
  content_type: MimeType.default('application/octet-stream'),
  expires_in: z.number().int().min(60).max(MAX_UPLOAD_URL_SECONDS).default(900),
});
export type CreateUploadBody = z.output<typeof CreateUploadBody>;

export const PutObjectBody = z.strictObject({
  key: ObjectKey,
  content: StrictBase64,
  content_type: MimeType.default('application/octet-stream'),
});
export type PutObjectBody = z.output<typeof PutObjectBody>;

export const StorageUsage = z.object({
  used_bytes: z.number().int(),
  object_count: z.number().int(),
  quota_bytes: z.number().int().describe('0 means unlimited.'),
});
