/**
 * Builds the raw MIME message with nodemailer's composer: multipart text/html alternatives, attachments
 * (inline when they have a content id), custom headers, our id header and one-click unsubscribe headers.
 */
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import { htmlToText } from './html-text.js';
import type { EmailPayload } from '../repositories/mail-store.js';

export interface MimeInput {
  emailId: string;
  from: string;
  to: string[];
  cc: string[];
  replyTo: string[];
  subject: string;
  payload: EmailPayload;
  unsubscribeUrl?: string;
  /** Sends from an inbox carry their own Message-ID and reply headers, so replies thread. */
  threading?: { messageId: string; inReplyTo: string | null; references: string[] } | null;
}

export async function buildMime(input: MimeInput): Promise<Buffer> {
  const { payload } = input;
  const headers: Record<string, string> = { ...payload.headers, 'X-Mailroom-Email-Id': input.emailId };
  if (input.unsubscribeUrl) {
    headers['List-Unsubscribe'] = `<${input.unsubscribeUrl}>`;
    headers['List-Unsubscribe-Post'] = 'List-Unsubscribe=One-Click';
  }
  const composer = new MailComposer({
    from: input.from,
    to: input.to,
    cc: input.cc.length ? input.cc : undefined,
    replyTo: input.replyTo.length ? input.replyTo : undefined,
    subject: input.subject,
    html: payload.html ?? undefined,
    // A text part from the html for clients (and spam filters) that want one.
    text: payload.text ?? (payload.html ? htmlToText(payload.html) : undefined),
    headers,
    attachments: payload.attachments.map((a) => ({
      filename: a.filename,
      content: a.content,
      encoding: 'base64',
      contentType: a.content_type,
      ...(a.content_id && { cid: a.content_id, contentDisposition: 'inline' as const }),
    })),
    disableFileAccess: true,
    disableUrlAccess: true,
    ...(input.threading && {
      messageId: input.threading.messageId,
      inReplyTo: input.threading.inReplyTo ?? undefined,
      references: input.threading.references.length ? input.threading.references : undefined,
    }),
  });
  return composer.compile().build();
}
