/**
 * Message content in S3 (DynamoDB items stay small and cheap): what the caller sent, read back by the
 * sender to build the MIME message; received messages' parts and attachments.
 *   payload: emails/<team>/<email id>.json
 *   received: inboxes/<inbox>/<message id>/{raw.eml, body.txt, body.html, attachments/<n>}
 */
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { s3 } from '../shared/clients.js';
import { config } from '../shared/config.js';

export interface EmailPayload {
  html: string | null;
  text: string | null;
  headers: Record<string, string>;
  attachments: { filename: string; content: string; content_type?: string; content_id?: string }[];
}

export const payloadKey = (teamId: string, emailId: string) => `emails/${teamId}/${emailId}.json`;

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
