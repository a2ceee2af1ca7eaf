/**
 * Message content in S3 (DynamoDB items stay small and cheap): what the caller sent, read back by the
 * sender to build the MIME message.
 *   payload: emails/<team>/<email id>.json
 */
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
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
