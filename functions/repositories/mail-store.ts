/**
 * Message content in S3 (DynamoDB items stay small and cheap): what the caller sent when it is too large to
 * travel in the send job itself (see functions/domain/send-email.ts), read back by the sender to build the
 * MIME message; received messages' parts and attachments.
 *   payload: emails/<team>/<email id>.json
 *   received: inboxes/<inbox>/<message id>/{raw.eml, body.txt, body.html, attachments/<n>}
 */
import { CopyObjectCommand, DeleteObjectsCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { create as contentDisposition } from 'content-disposition';
import * as z from 'zod';
import { s3 } from '../shared/clients.js';
import { config } from '../shared/config.js';

/** What the sender builds the MIME message from; attachments inline (`content`, base64) or copied into this bucket (`stored_key`). */
export const EmailPayload = z.object({
  html: z.string().nullable(),
  text: z.string().nullable(),
  headers: z.record(z.string(), z.string()),
  attachments: z.array(
    z.object({ filename: z.string(), content: z.string().optional(), stored_key: z.string().optional(), content_type: z.string().optional(), content_id: z.string().optional() }),
  ),
});
export type EmailPayload = z.infer<typeof EmailPayload>;

export const payloadKey = (teamId: string, emailId: string) => `emails/${teamId}/${emailId}.json`;
export const attachmentKey = (teamId: string, emailId: string, index: number) => `emails/${teamId}/${emailId}/attachments/${index}`;

export interface AttachmentCopy {
  /** Key in the media bucket. */
  from: string;
  /** Key in this bucket. */
  to: string;
}

/** A stored object attached to an email is copied (server-side, no download) so later changes to it do not matter. */
export async function copyMediaToMail(copy: AttachmentCopy): Promise<void> {
  const source = `${config.mediaBucket}/${copy.from.split('/').map(encodeURIComponent).join('/')}`;
  await s3.send(new CopyObjectCommand({ Bucket: config.mailBucket, Key: copy.to, CopySource: source }));
}

/** The payload with every copied attachment's bytes inline, as the MIME builder takes them. */
export async function withAttachmentContent(payload: EmailPayload): Promise<EmailPayload> {
  const attachments = await Promise.all(
    payload.attachments.map(async ({ stored_key, ...attachment }) => {
      if (!stored_key) return attachment;
      const { Body } = await s3.send(new GetObjectCommand({ Bucket: config.mailBucket, Key: stored_key }));
      return { ...attachment, content: Buffer.from(await Body!.transformToByteArray()).toString('base64') };
    }),
  );
  return { ...payload, attachments };
}

export async function putEmailPayload(key: string, payload: EmailPayload): Promise<void> {
  await s3.send(
    new PutObjectCommand({ Bucket: config.mailBucket, Key: key, Body: JSON.stringify(payload), ContentType: 'application/json' }),
  );
}

export async function getEmailPayload(key: string): Promise<EmailPayload> {
  const { Body } = await s3.send(new GetObjectCommand({ Bucket: config.mailBucket, Key: key }));
  return JSON.parse(await Body!.transformToString('utf8'));
}

/** Above this, bodies go up in parts: one request stays small however large a received attachment is. */
const MULTIPART_THRESHOLD_BYTES = 8 * 1024 * 1024;

export async function putMailObject(key: string, body: Buffer | string, contentType: string): Promise<void> {
  const size = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
  if (size <= MULTIPART_THRESHOLD_BYTES) {
    await s3.send(new PutObjectCommand({ Bucket: config.mailBucket, Key: key, Body: body, ContentType: contentType }));
    return;
  }
  await new Upload({ client: s3, params: { Bucket: config.mailBucket, Key: key, Body: body, ContentType: contentType }, partSize: MULTIPART_THRESHOLD_BYTES }).done();
}

/** A stored text part, cut at `maxBytes` (on a UTF-8 character boundary) so one huge body cannot overflow a response. */
export async function getMailText(key: string, maxBytes: number): Promise<{ text: string; truncated: boolean }> {
  // One byte more than allowed tells "exactly the limit" from "longer" without a separate HEAD.
  const { Body } = await s3.send(new GetObjectCommand({ Bucket: config.mailBucket, Key: key, Range: `bytes=0-${maxBytes}` }));
  const bytes = Buffer.from(await Body!.transformToByteArray());
  if (bytes.length <= maxBytes) return { text: bytes.toString('utf8'), truncated: false };
  let end = maxBytes;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return { text: bytes.subarray(0, end).toString('utf8'), truncated: true };
}

const DOWNLOAD_URL_TTL_SECONDS = 15 * 60;

/**
 * A presigned GET for a stored object, valid DOWNLOAD_URL_TTL_SECONDS. With a filename, browsers save it
 * under that name (Content-Disposition, RFC 6266 encoding for non-ASCII names) instead of the key's last part.
 */
export async function presignMailDownload(key: string, options: { filename?: string | null; contentType?: string } = {}): Promise<{ url: string; expires_at: string }> {
  // X-Amz-Date has whole seconds: sign at a whole second so expires_at is exactly when the URL stops working.
  const signedAt = new Date(Math.floor(Date.now() / 1000) * 1000);
  const url = await getSignedUrl(
    s3,
    new GetObjectCommand({
      Bucket: config.mailBucket,
      Key: key,
      ...(options.filename && { ResponseContentDisposition: contentDisposition(options.filename) }),
      ...(options.contentType && { ResponseContentType: options.contentType }),
    }),
    { expiresIn: DOWNLOAD_URL_TTL_SECONDS, signingDate: signedAt },
  );
  return { url, expires_at: new Date(signedAt.getTime() + DOWNLOAD_URL_TTL_SECONDS * 1000).toISOString() };
}

/** Deletes every object under `prefix` (a deleted inbox's mail); returns how many. */
export async function deleteMailPrefix(prefix: string): Promise<number> {
  let deleted = 0;
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: config.mailBucket, Prefix: prefix, ContinuationToken: token }));
    const keys = (page.Contents ?? []).map((o) => ({ Key: o.Key! }));
    if (keys.length) {
      await s3.send(new DeleteObjectsCommand({ Bucket: config.mailBucket, Delete: { Objects: keys, Quiet: true } }));
      deleted += keys.length;
    }
    token = page.NextContinuationToken;
  } while (token);
  return deleted;
}
