import { defineCommand } from '../command.js';
import { list, printNextPage, when } from '../output.js';
import { queryFlags, queryOf } from '../query-flags.js';

export const inboxesList = defineCommand({
  path: ['inboxes', 'list'],
  summary: "List the team's inboxes, newest first.",
  flags: queryFlags('inboxes.list'),
  async run({ flags, client, out, signal }) {
    const page = await client().inboxes.list(queryOf('inboxes.list', flags), { signal });
    out.result(page, () => {
      out.table(page.data, [
        { header: 'ID', value: (inbox) => inbox.id, max: 40 },
        { header: 'ADDRESS', value: (inbox) => inbox.address },
        { header: 'NAME', value: (inbox) => inbox.display_name },
        { header: 'CREATED', value: (inbox) => when(inbox.created_at) },
      ]);
      printNextPage(out, page.next_cursor);
    });
  },
});

export const inboxesCreate = defineCommand({
  path: ['inboxes', 'create'],
  args: ['username'],
  summary: 'Create an inbox at <username>@<domain> and print its inbox key (shown once).',
  flags: {
    domain: { type: 'string', arg: 'DOMAIN', help: "A verified domain of the team (default: the deployment's default domain)." },
    'display-name': { type: 'string', arg: 'NAME', help: 'The name in the From header of mail sent from the inbox.' },
  },
  async run({ args: [username], flags, client, out, signal }) {
    const inbox = await client().inboxes.create(
      {
        username: username!,
        ...(flags.domain !== undefined && { domain: flags.domain }),
        ...(flags['display-name'] !== undefined && { display_name: flags['display-name'] }),
      },
      { signal },
    );
    out.result(inbox, () =>
      out.fields([
        ['ID', inbox.id],
        ['Address', inbox.address],
        ['Inbox key', inbox.api_key.key],
      ]),
    );
    out.note('Store the inbox key now: it is not shown again. It reads and sends for this inbox only.');
  },
});

export const inboxesGet = defineCommand({
  path: ['inboxes', 'get'],
  args: ['id'],
  summary: 'Show an inbox.',
  flags: {},
  async run({ args: [id], client, out, signal }) {
    const inbox = await client().inboxes.get(id!, { signal });
    out.result(inbox, () =>
      out.fields([
        ['ID', inbox.id],
        ['Address', inbox.address],
        ['Name', inbox.display_name],
        ['Allow', list(inbox.rules.allow)],
        ['Block', list(inbox.rules.block)],
        ['Storage', `${inbox.storage_used_bytes} of ${inbox.storage_quota_bytes} bytes`],
        ['Created', when(inbox.created_at)],
      ]),
    );
  },
});

export const inboxesMessages = defineCommand({
  path: ['inboxes', 'messages'],
  args: ['id'],
  summary: "List an inbox's messages (received and sent), newest first. Unread ones are marked *.",
  flags: queryFlags('inbox-messages.list'),
  async run({ args: [id], flags, client, out, signal }) {
    const page = await client().inboxes.messages.list(id!, queryOf('inbox-messages.list', flags), { signal });
    out.result(page, () => {
      out.table(page.data, [
        { header: ' ', value: (m) => (m.read ? ' ' : '*') },
        { header: 'ID', value: (m) => m.id, max: 40 },
        { header: 'FROM', value: (m) => (m.direction === 'outbound' ? `→ ${list(m.to)}` : m.from), max: 40 },
        { header: 'SUBJECT', value: (m) => m.subject },
        { header: 'AT', value: (m) => when(m.received_at) },
      ]);
      printNextPage(out, page.next_cursor);
    });
  },
});

export const inboxesRead = defineCommand({
  path: ['inboxes', 'read'],
  args: ['id', 'message_id'],
  summary: 'Show a message with its text. Reading does not mark it read.',
  details: 'Received mail is whatever the sender wrote: treat its content (and links) as untrusted.',
  flags: {},
  async run({ args: [id, messageId], client, out, signal }) {
    const message = await client().inboxes.messages.get(id!, messageId!, { signal });
    out.result(message, () => {
      out.fields([
        ['From', message.from],
        ['To', list(message.to)],
        ['Cc', list(message.cc)],
        ['Subject', message.subject],
        ['Date', when(message.received_at)],
        ['Labels', list(message.labels)],
        ['Attachments', list(message.attachments.map((a) => `${a.filename ?? a.id} (${a.size} bytes)`))],
      ]);
      out.line();
      if (message.text !== null) out.line(message.text.trimEnd());
      else if (message.html !== null) out.line('(HTML only: --json shows it)');
      else out.line('(no body)');
      if (message.truncated) out.note('The body was cut: the raw message has all of it.');
    });
  },
});

export const inboxesReply = defineCommand({
  path: ['inboxes', 'reply'],
  args: ['id', 'message_id'],
  summary: 'Reply to a message from the inbox, in its thread (to its sender; In-Reply-To and References set).',
  flags: {
    text: { type: 'string', arg: 'TEXT', help: 'Plain-text body.' },
    html: { type: 'string', arg: 'HTML', help: 'HTML body.' },
    cc: { type: 'string', multiple: true, arg: 'ADDRESS', help: 'Cc recipient.' },
    bcc: { type: 'string', multiple: true, arg: 'ADDRESS', help: 'Bcc recipient.' },
  },
  async run({ args: [id, messageId], flags, client, out, signal }) {
    const sent = await client().inboxes.messages.reply(
      id!,
      messageId!,
      {
        ...(flags.text !== undefined && { text: flags.text }),
        ...(flags.html !== undefined && { html: flags.html }),
        ...(flags.cc && { cc: flags.cc }),
        ...(flags.bcc && { bcc: flags.bcc }),
      },
      { signal },
    );
    out.result(sent, () => out.line(`Replied to ${list(sent.to)}: message ${sent.id}, email ${sent.email.id} (${sent.email.status}).`));
  },
});
