import { readFile } from 'node:fs/promises';
import { defineCommand, UsageError } from '../command.js';
import { list, when } from '../output.js';

export const send = defineCommand({
  path: ['send'],
  summary: 'Send an email (POST /v1/emails).',
  details: [
    'The API checks the message (a verified from domain, a subject, html or text, at most 50 recipients) and answers',
    'with the queued email; `mailroom emails get <id>` follows its delivery. Every send carries an Idempotency-Key',
    '(a new one unless --idempotency-key is given), so a retried request never sends twice.',
  ].join('\n'),
  flags: {
    from: { type: 'string', arg: 'ADDRESS', help: 'Sender: "Name <hello@example.com>" or an address on a verified domain.' },
    to: { type: 'string', multiple: true, arg: 'ADDRESS', help: 'Recipient.' },
    cc: { type: 'string', multiple: true, arg: 'ADDRESS', help: 'Cc recipient.' },
    bcc: { type: 'string', multiple: true, arg: 'ADDRESS', help: 'Bcc recipient.' },
    'reply-to': { type: 'string', multiple: true, arg: 'ADDRESS', help: 'Reply-To address.' },
    subject: { type: 'string', arg: 'TEXT', help: 'Subject line.' },
    text: { type: 'string', arg: 'TEXT', help: 'Plain-text body.' },
    html: { type: 'string', arg: 'HTML', help: 'HTML body.' },
    'html-file': { type: 'string', arg: 'PATH', help: 'Read the HTML body from a file.' },
    'scheduled-at': { type: 'string', arg: 'TIME', help: 'Send later: an ISO 8601 time with offset, at most 30 days ahead.' },
    'idempotency-key': { type: 'string', arg: 'KEY', help: 'Reuse a key to make a repeated command send once.' },
  },
  async run({ flags, client, out, signal }) {
    if (flags.html !== undefined && flags['html-file'] !== undefined) throw new UsageError('Give --html or --html-file, not both.');
    const html = flags['html-file'] !== undefined ? await readFile(flags['html-file'], 'utf8') : flags.html;
    // A missing --from or --to is the API's to refuse: it names every invalid field at once.
    const email = await client().emails.send(
      {
        from: flags.from!,
        to: flags.to!,
        ...(flags.cc && { cc: flags.cc }),
        ...(flags.bcc && { bcc: flags.bcc }),
        ...(flags['reply-to'] && { reply_to: flags['reply-to'] }),
        ...(flags.subject !== undefined && { subject: flags.subject }),
        ...(flags.text !== undefined && { text: flags.text }),
        ...(html !== undefined && { html }),
        ...(flags['scheduled-at'] !== undefined && { scheduled_at: flags['scheduled-at'] }),
      },
      { idempotencyKey: flags['idempotency-key'], signal },
    );
    out.result(email, () => {
      const recipients = list([...email.to, ...email.cc, ...email.bcc]);
      out.line(email.status === 'scheduled' ? `Scheduled ${email.id} for ${when(email.scheduled_at)} to ${recipients}.` : `Queued ${email.id} to ${recipients}.`);
    });
  },
});
