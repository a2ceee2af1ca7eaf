/** Sending from an inbox: paths open an inbox (and, for replies and forwards, send a first message from it). */
import { newId } from '../../../functions/shared/ids.js';
import { call } from '../../support/local-stack.js';
import type { RouteCaseContext, RouteCases } from '../../support/route-cases.js';
import { uniqueUsername } from './inboxes.js';

async function inboxPath({ url, adminKey }: RouteCaseContext): Promise<string> {
  const res = await call(url, 'POST', '/v1/inboxes', { key: adminKey, body: { username: uniqueUsername('send') } });
  if (res.status !== 201) throw new Error(`inbox create failed: ${res.status} ${JSON.stringify(res.body)}`);
  return `/v1/inboxes/${res.body.id}`;
}

/** An outbound message of a fresh inbox: replying to it answers its recipient. */
async function messagePath(ctx: RouteCaseContext, verb: string): Promise<string> {
  const inbox = await inboxPath(ctx);
  const sent = await call(ctx.url, 'POST', `${inbox}/messages`, { key: ctx.adminKey, body: { to: 'someone@example.com', subject: 'Hello', text: 'Hi' } });
  if (sent.status !== 202) throw new Error(`inbox send failed: ${sent.status} ${JSON.stringify(sent.body)}`);
  return `${inbox}/messages/${sent.body.id}/${verb}`;
}

const missingMessagePath = (verb: string) => () => `/v1/inboxes/${newId('inbox')}/messages/msg_01jz0000000000000000000000/${verb}`;

export const cases: RouteCases = {
  'inbox-sends.send': {
    path: async (ctx) => `${await inboxPath(ctx)}/messages`,
    missingPath: () => `/v1/inboxes/${newId('inbox')}/messages`,
    body: {
      valid: () => ({ to: 'someone@example.com', subject: 'Hello', text: 'Hi' }),
      wrongTypes: { body: { to: 'a@example.com', subject: 5, text: 6, headers: 'x' }, fields: ['subject', 'text', 'headers'] },
      rules: { body: { to: 'not-an-address', subject: 'Hello', text: 'Hi' }, fields: ['to'] },
    },
  },
  'inbox-sends.reply': {
    path: (ctx) => messagePath(ctx, 'reply'),
    missingPath: missingMessagePath('reply'),
    body: {
      valid: () => ({ text: 'Thanks' }),
      wrongTypes: { body: { text: 1, html: 2 }, fields: ['html', 'text'] },
      rules: { body: { text: 'Thanks', cc: 'not-an-address' }, fields: ['cc'] },
    },
  },
  'inbox-sends.reply-all': {
    path: (ctx) => messagePath(ctx, 'reply-all'),
    missingPath: missingMessagePath('reply-all'),
    body: {
      valid: () => ({ text: 'Thanks all' }),
      wrongTypes: { body: { text: 1, html: 2 }, fields: ['html', 'text'] },
      rules: { body: { text: 'Thanks', cc: 'not-an-address' }, fields: ['cc'] },
    },
  },
  'inbox-sends.forward': {
    path: (ctx) => messagePath(ctx, 'forward'),
    missingPath: missingMessagePath('forward'),
    body: {
      valid: () => ({ to: 'other@example.com', text: 'FYI' }),
      wrongTypes: { body: { to: 'a@example.com', text: 1, html: 2 }, fields: ['html', 'text'] },
      rules: { body: { to: 'not-an-address' }, fields: ['to'] },
    },
  },
};
