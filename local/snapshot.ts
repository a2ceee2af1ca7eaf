/**
 * fauxqs keeps SQS and S3 in memory only. The dev server snapshots both into the state folder (every few
 * seconds and on exit) and restores them on start, so queued work and stored objects survive a restart.
 * In-flight messages come back visible, as if their visibility timeout had expired.
 */
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { CreateBucketCommand, GetObjectCommand, ListBucketsCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { FauxqsServer } from './emulators.js';

interface QueueSnapshot {
  [queueName: string]: { body: string; attributes: Record<string, { DataType: string; StringValue?: string; BinaryValue?: string }>; availableAt: number }[];
}

export async function saveQueues(server: FauxqsServer, queueNames: string[], file: string): Promise<void> {
  const snapshot: QueueSnapshot = {};
  for (const name of queueNames) {
    const state = server.inspectQueue(name);
    if (!state) continue;
    const { ready, delayed, inflight } = state.messages;
    snapshot[name] = [
      ...ready.map((m) => ({ message: m, availableAt: 0 })),
      ...delayed.map((m) => ({ message: m, availableAt: m.delayUntil ?? 0 })),
      ...inflight.map((e) => ({ message: e.message, availableAt: 0 })),
    ].map(({ message, availableAt }) => ({ body: message.body, attributes: message.messageAttributes, availableAt }));
  }
  await mkdir(dirname(file), { recursive: true });
  await writeFile(`${file}.tmp`, JSON.stringify(snapshot));
  await rename(`${file}.tmp`, file);
}

export async function restoreQueues(sqs: SQSClient, queueUrls: Record<string, string>, file: string): Promise<number> {
  let snapshot: QueueSnapshot;
  try {
    snapshot = JSON.parse(await readFile(file, 'utf8'));
  } catch {
    return 0;
  }
  let restored = 0;
  for (const [name, messages] of Object.entries(snapshot)) {
    const url = queueUrls[name];
    if (!url) continue;
    for (let i = 0; i < messages.length; i += 10) {
      const batch = messages.slice(i, i + 10);
      await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: url,
          Entries: batch.map((m, j) => ({
            Id: String(j),
            MessageBody: m.body,
            MessageAttributes: Object.keys(m.attributes).length
              ? Object.fromEntries(
                  Object.entries(m.attributes).map(([k, v]) => [
                    k,
                    { DataType: v.DataType, StringValue: v.StringValue, BinaryValue: v.BinaryValue ? Buffer.from(v.BinaryValue, 'base64') : undefined },
                  ]),
                )
              : undefined,
            DelaySeconds: Math.min(900, Math.max(0, Math.ceil((m.availableAt - Date.now()) / 1000))),
          })),
        }),
      );
      restored += batch.length;
    }
  }
  return restored;
}

export async function saveObjects(s3: S3Client, dir: string): Promise<void> {
  const tmp = `${dir}.tmp`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  const { Buckets } = await s3.send(new ListBucketsCommand({}));
  for (const bucket of Buckets ?? []) {
    await mkdir(join(tmp, bucket.Name!), { recursive: true });
    let token: string | undefined;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket.Name!, ContinuationToken: token }));
      for (const object of page.Contents ?? []) {
        const { Body, ContentType } = await s3.send(new GetObjectCommand({ Bucket: bucket.Name!, Key: object.Key! }));
        const path = join(tmp, bucket.Name!, encodeURIComponent(object.Key!));
        await writeFile(path, await Body!.transformToByteArray());
        await writeFile(`${path}.meta.json`, JSON.stringify({ key: object.Key, contentType: ContentType }));
      }
      token = page.NextContinuationToken;
    } while (token);
  }
  await rm(dir, { recursive: true, force: true });
  await rename(tmp, dir);
}

export async function restoreObjects(s3: S3Client, dir: string): Promise<number> {
  let buckets: string[];
  try {
    buckets = await readdir(dir);
  } catch {
    return 0;
  }
  let restored = 0;
  for (const bucket of buckets) {
    await s3.send(new CreateBucketCommand({ Bucket: bucket })).catch(() => undefined);
    for (const entry of await readdir(join(dir, bucket))) {
      if (!entry.endsWith('.meta.json')) continue;
      const meta = JSON.parse(await readFile(join(dir, bucket, entry), 'utf8'));
      const body = await readFile(join(dir, bucket, entry.slice(0, -'.meta.json'.length)));
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: meta.key, Body: body, ContentType: meta.contentType }));
      restored++;
    }
  }
  return restored;
}

export const snapshotPaths = (stateDir: string) => ({ queues: join(stateDir, 'sqs.json'), objects: join(stateDir, 's3') });
