import { defineCommand } from '../command.js';
import { list, printNextPage, when } from '../output.js';
import { queryFlags, queryOf } from '../query-flags.js';

export const emailsList = defineCommand({
  path: ['emails', 'list'],
  summary: "List the team's emails, newest first.",
  flags: queryFlags('emails.list'),
  async run({ flags, client, out, signal }) {
    const page = await client().emails.list(queryOf('emails.list', flags), { signal });
    out.result(page, () => {
      out.table(page.data, [
        { header: 'ID', value: (e) => e.id, max: 40 },
        { header: 'STATUS', value: (e) => e.status },
        { header: 'TO', value: (e) => list(e.to), max: 40 },
        { header: 'SUBJECT', value: (e) => e.subject },
        { header: 'CREATED', value: (e) => when(e.created_at) },
      ]);
      printNextPage(out, page.next_cursor);
    });
  },
});

export const emailsGet = defineCommand({
  path: ['emails', 'get'],
  args: ['id'],
  summary: 'Show an email: its status, each recipient’s outcome and the event timeline.',
  flags: {},
  async run({ args: [id], client, out, signal }) {
    const email = await client().emails.get(id!, { signal });
    out.result(email, () => {
      out.fields([
        ['ID', email.id],
        ['Status', email.status],
        ['From', email.from],
        ['To', list(email.to)],
        ['Cc', list(email.cc)],
        ['Bcc', list(email.bcc)],
        ['Subject', email.subject],
        ['Scheduled', when(email.scheduled_at)],
        ['Created', when(email.created_at)],
        ['Error', email.error && `${email.error.code}: ${email.error.message}`],
      ]);
      out.line();
      out.table(email.recipients, [
        { header: 'RECIPIENT', value: (r) => r.email },
        { header: 'TYPE', value: (r) => r.type },
        { header: 'STATUS', value: (r) => r.status },
        { header: 'REASON', value: (r) => r.reason },
      ]);
      out.line();
      out.table(
        email.events,
        [
          { header: 'AT', value: (e) => when(e.at) },
          { header: 'EVENT', value: (e) => e.type },
          { header: 'RECIPIENT', value: (e) => e.recipient },
          { header: 'DETAIL', value: (e) => (Object.keys(e.detail).length > 0 ? JSON.stringify(e.detail) : ''), max: 80 },
        ],
        '(no events yet)',
      );
    });
  },
});
