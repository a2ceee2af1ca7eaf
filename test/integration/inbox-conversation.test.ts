/**
 * A conversation from an inbox: A writes to an outside address, the reply comes back over SMTP quoting the
 * Message-ID SES put on the wire, A replies again — one thread, correct headers on every message.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import nodemailer from 'nodemailer';
import { findThread, listInboxThreads } from '../../functions/repositories/threads.js';
import { listInboxMessages, listThreadMessageIds } from '../../functions/repositories/messages.js';
import { call, createTeam, endpoints, startLocalStack, type LocalStack } from '../support/local-stack.js';
import { expectEventually } from '../support/http.js';

let stack: LocalStack;
let key: string;
let inbox: { id: string; address: string; api_key: { key: string } };
let otherInbox: { id: string; address: string };

beforeAll(async () => {
  stack = await startLocalStack();
  ({ adminKey: key } = await createTeam(stack, 'conversation'));
  const make = async (name: string) => (await call(stack.url, 'POST', '/v1/inboxes', { key, body: { username: `${name}-${process.pid}-${Date.now().toString(36)}`, display_name: 'Agent A' } })).body;
  inbox = await make('agent-a');
  otherInbox = await make('agent-b');
});
afterAll(() => stack.stop());

/** SES's `mail` object for a sent email, with the headers as they went out. */
async function wire(emailId: string) {
  const sesId = await expectEventually(async () => {
    const email = (await call(stack.url, 'GET', `/v1/emails/${emailId}`, { key })).body;
    expect(email.ses_message_id).toEqual(expect.any(String));
    return email.ses_message_id as string;
  });
  const sent = (await (await fetch(`${endpoints().ses}/_mailroom/messages/${sesId}`)).json()) as { mail: { headers: { name: string; value: string }[] } };
  const header = (name: string) => sent.mail.headers.find((h) => h.name.toLowerCase() === name.toLowerCase())?.value;
  return { sesId, header };
}

describe('a conversation from an inbox', () => {
  it('send → reply over SMTP → reply back: one thread, threading headers on the wire', async () => {
    const agentKey = inbox.api_key.key;
    const subject = `Your order ${Date.now()}`;
    const first = await call(stack.url, 'POST', `/v1/inboxes/${inbox.id}/messages`, { key: agentKey, body: { to: 'Customer <customer@example.com>', subject, text: 'Your order shipped.' } });
    expect(first.status, JSON.stringify(first.body)).toBe(202);
    expect(first.body).toMatchObject({ direction: 'outbound', status: 'queued', message_id: expect.stringMatching(/^<em_.+@/), subject });
    const thread = first.body.thread_id as string;
    const firstWire = await wire(first.body.email.id);
    expect(firstWire.header('From')).toContain(inbox.address);
    expect(firstWire.header('Message-ID')).toBe(first.body.message_id);

    // The customer's client quotes the Message-ID it received: SES's, not ours.
    const sesMessageId = `<${firstWire.sesId}@email.amazonses.com>`;
    await nodemailer.createTransport({ host: '127.0.0.1', port: stack.smtpPort, ignoreTLS: true }).sendMail({
      from: 'Customer <customer@example.com>',
      to: inbox.address,
      subject: `Re: ${subject}`,
      text: 'Thanks! When will it arrive?\n\nOn Monday Agent A wrote:\n> Your order shipped.',
      inReplyTo: sesMessageId,
      references: [sesMessageId],
    });
    const inbound = await expectEventually(async () => {
      const found = (await listInboxMessages(inbox.id, { limit: 50 })).data.find((m) => m.direction === 'inbound' && m.subject === `Re: ${subject}`);
      expect(found).toBeDefined();
      return found!;
    }, 20_000, 150);
    expect(inbound.thread_id).toBe(thread);

    const answer = await call(stack.url, 'POST', `/v1/inboxes/${inbox.id}/messages/${inbound.id}/reply`, { key: agentKey, body: { text: 'Tomorrow.' } });
    expect(answer.status, JSON.stringify(answer.body)).toBe(202);
    expect(answer.body).toMatchObject({ thread_id: thread, subject: `Re: ${subject}`, to: ['"Customer" <customer@example.com>'], in_reply_to: inbound.message_id });
    const answerWire = await wire(answer.body.email.id);
    expect(answerWire.header('In-Reply-To')).toBe(inbound.message_id);
    expect(answerWire.header('References')).toContain(sesMessageId);
    expect(answerWire.header('References')).toContain(inbound.message_id!);

    expect(await findThread(thread)).toMatchObject({ message_count: 3, participants: ['customer@example.com'] });
    expect(await listThreadMessageIds(thread)).toEqual([first.body.id, inbound.id, answer.body.id]);
    expect((await listInboxThreads(inbox.id, { limit: 10 })).data.map((t) => t.id)).toContain(thread);
  });

  it('reply-all answers everyone but the inbox; forward attaches the original message', async () => {
    const subject = `Team thread ${Date.now()}`;
    await nodemailer.createTransport({ host: '127.0.0.1', port: stack.smtpPort, ignoreTLS: true }).sendMail({
      from: 'ann@example.com',
      to: [inbox.address, 'bob@example.com'],
      cc: 'carol@example.com',
      subject,
      text: 'Thoughts?',
    });
    const inbound = await expectEventually(async () => {
      const found = (await listInboxMessages(inbox.id, { limit: 50 })).data.find((m) => m.subject === subject);
      expect(found).toBeDefined();
      return found!;
    }, 20_000, 150);
    const all = await call(stack.url, 'POST', `/v1/inboxes/${inbox.id}/messages/${inbound.id}/reply-all`, { key, body: { text: 'Looks good.' } });
    expect(all.status, JSON.stringify(all.body)).toBe(202);
    expect(all.body.email.recipients.map((r: { email: string; type: string }) => `${r.type}:${r.email}`).sort()).toEqual(['cc:bob@example.com', 'cc:carol@example.com', 'to:ann@example.com']);

    const fwd = await call(stack.url, 'POST', `/v1/inboxes/${inbox.id}/messages/${inbound.id}/forward`, { key, body: { to: 'dave@example.com', text: 'FYI' } });
    expect(fwd.status, JSON.stringify(fwd.body)).toBe(202);
    expect(fwd.body.subject).toBe(`Fwd: ${subject}`);
    // The captured mail is parsed by mailparser, which unwraps an attached message/rfc822 into the
    // outer message: the original's text arriving with the note proves it travelled along.
    await expectEventually(async () => {
      const store = (await (await fetch(`${endpoints().ses}/store`)).json()) as { emails: { subject: string; body: { text?: string } }[] };
      const forwarded = store.emails.find((e) => e.subject === `Fwd: ${subject}`);
      expect(forwarded?.body.text).toContain('FYI');
      expect(forwarded?.body.text).toContain('Thoughts?');
    });
  });

  it('an inbox key sends only from its own inbox and cannot use team routes', async () => {
    const agentKey = inbox.api_key.key;
    const other = await call(stack.url, 'POST', `/v1/inboxes/${otherInbox.id}/messages`, { key: agentKey, body: { to: 'x@example.com', subject: 'x', text: 'x' } });
    expect(other.status).toBe(404);
    expect((await call(stack.url, 'GET', '/v1/emails', { key: agentKey })).status).toBe(403);
    expect((await call(stack.url, 'POST', '/v1/emails', { key: agentKey, body: { from: `a@mailroom.test`, to: 'x@example.com', subject: 'x', text: 'x' } })).status).toBe(403);
  });
});
