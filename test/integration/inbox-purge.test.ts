/** Deleting an inbox: gone for the API at once; its messages, threads and stored mail are purged in the background. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import nodemailer from 'nodemailer';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { LOCAL_AWS } from '../../local/aws-env.js';
import { LOCAL_MAIL } from '../../local/runtime.js';
import { findMessage, listInboxMessages } from '../../functions/repositories/messages.js';
import { findThread } from '../../functions/repositories/threads.js';
import { call, createTeam, endpoints, startLocalStack, type LocalStack } from '../support/local-stack.js';
import { expectEventually } from '../support/http.js';

let stack: LocalStack;
beforeAll(async () => {
  stack = await startLocalStack();
});
afterAll(() => stack.stop());

describe('inbox delete', () => {
  it('purges the inbox’s messages, threads and objects after answering', async () => {
    const { adminKey: key } = await createTeam(stack, 'inbox-purge');
    const inbox = (await call(stack.url, 'POST', '/v1/inboxes', { key, body: { username: `purge-${process.pid}-${Date.now().toString(36)}` } })).body;
    await nodemailer.createTransport({ host: '127.0.0.1', port: stack.smtpPort, ignoreTLS: true }).sendMail({
      from: 'a@example.com',
      to: inbox.address,
      subject: 'Keep me?',
      text: 'x',
      attachments: [{ filename: 'a.txt', content: 'attached' }],
    });
    const message = await expectEventually(async () => {
      const [found] = (await listInboxMessages(inbox.id, { limit: 10 })).data;
      expect(found).toBeDefined();
      return found!;
    }, 20_000, 150);
    const s3 = new S3Client({ endpoint: endpoints().sqsS3, ...LOCAL_AWS, forcePathStyle: true });
    const objects = async () => (await s3.send(new ListObjectsV2Command({ Bucket: LOCAL_MAIL.bucket, Prefix: `inboxes/${inbox.id}/` }))).Contents ?? [];
    expect((await objects()).length).toBeGreaterThanOrEqual(3);

    expect((await call(stack.url, 'DELETE', `/v1/inboxes/${inbox.id}`, { key })).status).toBe(200);
    expect((await call(stack.url, 'GET', `/v1/inboxes/${inbox.id}`, { key })).status).toBe(404);
    await expectEventually(async () => {
      expect(await findMessage(message.id)).toBeUndefined();
      expect(await findThread(message.thread_id)).toBeUndefined();
      expect(await objects()).toEqual([]);
    }, 20_000, 250);
    s3.destroy();
  });
});
