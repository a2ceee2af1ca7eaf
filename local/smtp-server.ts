/**
 * Receiving offline: a real SMTP server (any client — nodemailer, swaks — can deliver to it) that does
 * what SES receiving does on AWS: store the raw message in the mail bucket under `inbound/<message id>`
 * (the receipt rule's S3 action), then invoke the receipt Lambda with an SES receipt event (the Lambda
 * action, event invocation). Messages over SES's 40 MB cap are refused with 552, as SES refuses them.
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import type { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { SESEvent } from 'aws-lambda';
import { listenOn } from './http-helpers.js';

export const SES_MAX_MESSAGE_BYTES = 40 * 1024 * 1024;

export interface LocalSmtp {
  port: number;
  close(): Promise<void>;
}

/** Header lines of the raw message, unfolded, as SES lists them in `mail.headers`. */
function headersOf(raw: Buffer): { name: string; value: string }[] {
  const text = raw.subarray(0, Math.min(raw.length, 256 * 1024)).toString('latin1');
  const end = text.search(/\r?\n\r?\n/);
  const block = (end === -1 ? text : text.slice(0, end)).replace(/\r?\n[ \t]+/g, ' ');
  return block
    .split(/\r?\n/)
    .map((line) => /^([!-9;-~]+):\s?(.*)$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ name: m[1]!, value: m[2]! }));
}

export function receiptEvent(input: { messageId: string; source: string; recipients: string[]; raw: Buffer; at: Date; functionArn: string }): SESEvent {
  const headers = headersOf(input.raw);
  const header = (name: string) => headers.find((h) => h.name.toLowerCase() === name)?.value;
  const list = (name: string) => header(name)?.split(',').map((a) => a.trim()).filter(Boolean);
  const verdict = (status: string) => ({ status });
  return {
    Records: [
      {
        eventSource: 'aws:ses',
        eventVersion: '1.0',
        ses: {
          mail: {
            timestamp: input.at.toISOString(),
            source: input.source,
            messageId: input.messageId,
            destination: input.recipients,
            headersTruncated: false,
            headers,
            commonHeaders: {
              returnPath: input.source,
              from: list('from') ?? [],
              date: header('date') ?? input.at.toUTCString(),
              to: list('to') ?? [],
              messageId: header('message-id') ?? '',
              subject: header('subject') ?? '',
            },
          },
          receipt: {
            timestamp: input.at.toISOString(),
            processingTimeMillis: 0,
            recipients: input.recipients,
            // Nothing checks authentication or content locally: scanned "clean", authentication unknown.
            spamVerdict: verdict('PASS'),
            virusVerdict: verdict('PASS'),
            spfVerdict: verdict('GRAY'),
            dkimVerdict: verdict('GRAY'),
            dmarcVerdict: verdict('GRAY'),
            action: { type: 'Lambda', functionArn: input.functionArn, invocationType: 'Event' },
          },
        },
      },
    ],
  } as SESEvent;
}

export async function startSmtpServer(options: {
  port: number;
  host?: string;
  s3: S3Client;
  bucket: string;
  prefix: string;
  onReceipt: (event: SESEvent) => Promise<void>;
  onError?: (error: unknown) => void;
}): Promise<LocalSmtp> {
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    size: SES_MAX_MESSAGE_BYTES,
    banner: 'Mailroom local SES receiving',
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        if ((stream as unknown as { sizeExceeded?: boolean }).sizeExceeded) {
          callback(Object.assign(new Error('Message exceeds the 40 MB limit'), { responseCode: 552 }));
          return;
        }
        const raw = Buffer.concat(chunks);
        const messageId = randomBytes(20).toString('hex');
        const recipients = session.envelope.rcptTo.map((r) => r.address);
        const source = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
        // Multipart above 8 MiB, like any large S3 write (the S3 emulator also caps single requests).
        new Upload({ client: options.s3, params: { Bucket: options.bucket, Key: `${options.prefix}${messageId}`, Body: raw }, partSize: 8 * 1024 * 1024 })
          .done()
          .then(() => {
            callback(null, `Ok ${messageId}`);
            // Event invocation: SES does not wait for the function; errors surface in its logs.
            options
              .onReceipt(receiptEvent({ messageId, source, recipients, raw, at: new Date(), functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:mailroom-inbound-receipt' }))
              .catch((error) => options.onError?.(error));
          })
          .catch((error) => callback(Object.assign(new Error(`Temporary failure storing the message: ${(error as Error).message}`), { responseCode: 451 })));
      });
    },
  });
  await listenOn(server, options.port, options.host);
  server.on('error', (error) => options.onError?.(error));
  return {
    port: (server.server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
