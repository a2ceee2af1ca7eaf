/**
 * Inbox message and thread routes. The route test runs without queue workers, so a message is received the
 * way the inbound worker receives one: the raw MIME is put in the mail bucket under `inbound/<id>` (as the
 * SES receipt rule's S3 action does) and receiveMail() is run on a receipt for it.
 */
import { randomBytes } from 'node:crypto';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { newId } from '../../../functions/shared/ids.js';
import { INBOUND_PREFIX, receiveMail } from '../../../functions/domain/receive-mail.js';
import { listInboxMessages } from '../../../functions/repositories/messages.js';
import { LOCAL_AWS } from '../../../local/aws-env.js';
import { LOCAL_MAIL } from '../../../local/runtime.js';
import { call, endpoints } from '../../support/local-stack.js';
import type { RouteCaseContext, RouteCases } from '../../support/route-cases.js';
import { uniqueUsername } from './inboxes.js';

async function createInbox({ url, adminKey }: RouteCaseContext): Promise<{ id: string; address: string }> {
  const res = await call(url, 'POST', '/v1/inboxes', { key: adminKey, body: { username: uniqueUsername('msgs') } });
  if (res.status !== 201) throw new Error(`inbox create failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Receives one message into the inbox without SMTP or queues; returns its message and thread ids. */
async function receiveOne(inbox: { id: string; address: string }): Promise<{ messageId: string; threadId: string }> {
  const sesMessageId = randomBytes(20).toString('hex');
  const raw = [
    'From: Route Case <route-case@example.com>',
    `To: ${inbox.address}`,
    `Subject: Route case ${sesMessageId}`,
    `Message-ID: <${sesMessageId}@example.com>`,
    'Content-Type: text/plain; charset=utf-8',
    '',
    'Hello from the route cases.',
    '',
  ].join('\r\n');
  const s3 = new S3Client({ endpoint: endpoints().sqsS3, ...LOCAL_AWS, forcePathStyle: true });
  try {
    await s3.send(new PutObjectCommand({ Bucket: LOCAL_MAIL.bucket, Key: `${INBOUND_PREFIX}${sesMessageId}`, Body: raw }));
  } finally {
    s3.destroy();
  }
  await receiveMail({
    ses_message_id: sesMessageId,
    timestamp: new Date().toISOString(),
    recipients: [inbox.address],
    source: 'route-case@example.com',
    verdicts: { spam: 'PASS', virus: 'PASS', spf: 'GRAY', dkim: 'GRAY', dmarc: 'GRAY' },
  });
  const [message] = (await listInboxMessages(inbox.id, { limit: 1 })).data;
  if (!message) throw new Error('the message was not received');
  return { messageId: message.id, threadId: message.thread_id };
}

const inboxPath = (suffix: string) => async (ctx: RouteCaseContext) => `/v1/inboxes/${(await createInbox(ctx)).id}${suffix}`;
const messagePath = (suffix = '') => async (ctx: RouteCaseContext) => {
  const inbox = await createInbox(ctx);
  const { messageId } = await receiveOne(inbox);
  return `/v1/inboxes/${inbox.id}/messages/${messageId}${suffix}`;
};
const missingMessagePath = (suffix = '') => () => `/v1/inboxes/${newId('inbox')}/messages/${newId('message')}${suffix}`;

export const cases: RouteCases = {
  'inbox-messages.list': { path: inboxPath('/messages'), missingPath: () => `/v1/inboxes/${newId('inbox')}/messages` },
  'inbox-messages.get': { path: messagePath(), missingPath: missingMessagePath() },
  'inbox-messages.raw': { path: messagePath('/raw'), missingPath: missingMessagePath('/raw') },
  'inbox-messages.update': {
    path: messagePath(),
    missingPath: missingMessagePath(),
    body: {
      valid: () => ({ labels: { add: ['route-case'] }, read: true }),
      wrongTypes: {
        body: { labels: ['urgent'], read: 'yes', color: 'red' },
        fields: ['labels', 'read', 'color'],
      },
      rules: {
        body: { labels: { add: ['Not OK!', 'x'.repeat(33)], remove: Array.from({ length: 21 }, (_, i) => `label-${i}`) } },
        fields: ['labels.add.0', 'labels.add.1', 'labels.remove'],
      },
    },
  },
  'inbox-threads.list': { path: inboxPath('/threads'), missingPath: () => `/v1/inboxes/${newId('inbox')}/threads` },
  'inbox-threads.get': {
    path: async (ctx) => {
      const inbox = await createInbox(ctx);
      const { threadId } = await receiveOne(inbox);
      return `/v1/inboxes/${inbox.id}/threads/${threadId}`;
    },
    missingPath: () => `/v1/inboxes/${newId('inbox')}/threads/${newId('thread')}`,
  },
};
