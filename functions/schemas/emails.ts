import * as z from 'zod';
import { BucketSlug, ObjectKey } from './storage.js';
import { idOf, ListQuery, MimeType, pageOf, StrictBase64, Timestamp } from './common.js';
import { defineRoutes, ErrorEnvelope } from './contract.js';

/** Practical address rule: RFC 5321 lengths, one @, a dotted domain, nothing that could break a header. */
const EMAIL_PATTERN = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}@(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;
const NO_LINE_BREAKS = /^[^\r\n\0]*$/;

export const EmailAddress = z
  .string()
  .trim()
  .max(254)
  .regex(EMAIL_PATTERN, 'Must be a valid email address.')
  .refine((v) => !v.startsWith('.') && !v.includes('..'), 'Must be a valid email address.')
  .transform((v) => v.toLowerCase());

const DisplayName = z.string().trim().max(200).regex(NO_LINE_BREAKS, 'Must not contain line breaks.');

/**
 * `"Ann <ann@example.com>"`, `"ann@example.com"` or `{ "email", "name" }` → `{ email, name? }`.
 * A string that is not an address is a broken rule (422 on the field), not a wrong type: the issue is
 * non-fatal (`continue: true`) so the union reports it instead of a generic invalid_union (400).
 */
export const Address = z.union([
  z.string().transform((value, ctx) => {
    const match = value.length <= 460 ? /^\s*(?:"?([^"<>]*?)"?\s*<([^<>]+)>|([^<>\s]+))\s*$/.exec(value) : null;
    const email = EmailAddress.safeParse(match?.[2] ?? match?.[3] ?? '');
    const name = DisplayName.safeParse(match?.[1] ?? '');
    if (!match || !email.success || !name.success) {
      ctx.addIssue({ code: 'custom', message: 'Must be an email address, optionally with a name: "Ann <ann@example.com>".', continue: true });
      return z.NEVER;
    }
    return name.data ? { email: email.data, name: name.data } : { email: email.data };
  }),
  z.strictObject({ email: EmailAddress, name: DisplayName.optional() }),
]);
export type Address = z.output<typeof Address>;

/** An address as stored and shown: `"Ann" <ann@example.com>` (the name quoted and escaped) or the bare address. */
export const formatAddress = (a: Address) => (a.name ? `"${a.name.replace(/["\\]/g, '\\$&')}" <${a.email}>` : a.email);

/**
 * One address or a list of them, always a list after parsing (wrapping inside the union would turn every bad
 * address into a 400). The 50-recipient rule is checked on the body, across to, cc and bcc: a size cap here
 * would be fatal in zod and surface as a 400 invalid_union; 1000 is only a guard against absurd lists.
 */
const AddressList = z.union([Address, z.array(Address).min(1).max(1000)]).transform((value) => (Array.isArray(value) ? value : [value]));

/** Headers the platform sets itself or that would let a caller forge routing, identity or signatures. */
export const RESERVED_HEADERS = new Set([
  'from', 'to', 'cc', 'bcc', 'subject', 'date', 'message-id', 'reply-to', 'sender', 'return-path',
  'mime-version', 'content-type', 'content-transfer-encoding', 'content-disposition', 'dkim-signature',
  'received', 'list-unsubscribe', 'list-unsubscribe-post', 'x-mailroom-email-id', 'x-ses-configuration-set',
]);

function headerNameProblem(name: string): string | undefined {
  // RFC 5322 field-name: printable US-ASCII except the colon.
  if (!/^[!-9;-~]{1,76}$/.test(name)) return 'Header names are 1–76 printable ASCII characters without spaces or ":".';
  if (RESERVED_HEADERS.has(name.toLowerCase()) || name.toLowerCase().startsWith('x-ses-')) return 'This header is set by Mailroom and cannot be overridden.';
  return undefined;
}

/**
 * A record whose keys follow a rule. Keys are checked in a refinement rather than by a key schema: zod reports
 * a bad key as `invalid_key` ("Invalid key in record", a 400 shape error), losing the rule that was broken.
 */
const recordWithKeys = <V extends z.ZodType>(value: V, keyProblem: (key: string) => string | undefined, max: number, what: string) =>
  z.record(z.string(), value).superRefine((record, ctx) => {
    const keys = Object.keys(record);
    if (keys.length > max) ctx.addIssue({ code: 'custom', message: `At most ${max} ${what}.` });
    for (const key of keys) {
      const problem = keyProblem(key);
      if (problem) ctx.addIssue({ code: 'custom', path: [key], message: problem });
    }
  });

const HeaderValue = z.string().max(998).regex(NO_LINE_BREAKS, 'Header values must not contain CR, LF or NUL (header injection).');


const AttachmentFilename = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[^\r\n\0/\\]+$/, 'File names must not contain path separators or line breaks.');

/**
 * An attachment given inline (`filename` + base64 `content`) or by reference to a stored object
 * (`bucket` + `key` of the storage API; `filename` defaults to the key's last segment). The object is
 * copied when the email is accepted, so changing or deleting it later does not change what is sent.
 */
export const Attachment = z
  .strictObject({
    filename: AttachmentFilename.optional(),
    content: StrictBase64.optional(),
    bucket: BucketSlug.optional(),
    key: ObjectKey.optional(),
    content_type: MimeType.optional(),
    /** Makes the attachment inline, referenced from the HTML as `cid:<content_id>`. */
    content_id: z.string().max(255).regex(/^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.@-]+$/, 'Letters, digits and @ . _ - only.').optional(),
  })
  .superRefine((a, ctx) => {
    const inline = a.content !== undefined;
    const stored = a.bucket !== undefined || a.key !== undefined;
    if (inline === stored) ctx.addIssue({ code: 'custom', message: 'Give either content (inline) or bucket and key (a stored object).' });
    else if (inline && a.filename === undefined) ctx.addIssue({ code: 'custom', path: ['filename'], message: 'An inline attachment needs a filename.' });
    else if (stored && (a.bucket === undefined || a.key === undefined)) ctx.addIssue({ code: 'custom', path: [a.bucket === undefined ? 'bucket' : 'key'], message: 'A stored attachment needs both bucket and key.' });
  });
export type Attachment = z.output<typeof Attachment>;

/** SES message tags: names and values of [A-Za-z0-9_-]; Mailroom reserves the `mailroom_` prefix. */
function tagKeyProblem(key: string): string | undefined {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(key)) return 'Tag names are 1–64 letters, digits, "_" and "-".';
  if (key.startsWith('mailroom_')) return 'Tags starting with "mailroom_" are reserved.';
  return undefined;
}
const TagValue = z.string().min(1).max(256).regex(/^[A-Za-z0-9_.@-]+$/, 'Letters, digits and "_ . @ -" only.');

export const MAX_RECIPIENTS = 50;
/**
 * Decoded attachment bytes per email. Must stay reachable under the send routes' body cap
 * (EMAIL_MAX_BODY_BYTES = 5.5 MB, which admits 4.125 MB decoded): at 4 MiB the body cap always answered
 * first and this clear "attachments" 413 could never be seen.
 */
export const MAX_ATTACHMENT_BYTES = 4_000_000;
/** Stored objects attached by reference: SES takes messages up to 40 MB encoded, about 29 MB of files. */
export const MAX_STORED_ATTACHMENT_BYTES = 25_000_000;
export const MAX_SCHEDULE_DAYS = 30;

export const SendEmailBody = z
  .strictObject({
    from: Address,
    to: AddressList,
    cc: AddressList.optional(),
    bcc: AddressList.optional(),
    reply_to: AddressList.refine((list) => list.length <= MAX_RECIPIENTS, `At most ${MAX_RECIPIENTS} reply-to addresses.`).optional(),
    subject: z.string().min(1).max(998).regex(NO_LINE_BREAKS, 'The subject must not contain line breaks.').optional(),
    html: z.string().max(2_000_000).optional(),
    text: z.string().max(2_000_000).optional(),
    headers: recordWithKeys(HeaderValue, headerNameProblem, 50, 'headers').optional(),
    attachments: z.array(Attachment).max(10).optional(),
    tags: recordWithKeys(TagValue, tagKeyProblem, 10, 'tags').optional(),
    template_id: idOf('template').optional(),
    template_version: z.number().int().min(1).optional(),
    variables: z.record(z.string().max(100), z.unknown()).optional(),
    scheduled_at: Timestamp.optional(),
    tracking: z.strictObject({ opens: z.boolean().default(false), clicks: z.boolean().default(false) }).optional(),
    /** Adds one-click List-Unsubscribe headers (RFC 8058) that suppress the recipient for this team. */
    list_unsubscribe: z.boolean().optional(),
  })
  .superRefine((body, ctx) => {
    // A list that failed to parse still reaches this check (its issues are not fatal): count only real lists.
    const count = (list: unknown) => (Array.isArray(list) ? list.length : 0);
    const total = count(body.to) + count(body.cc) + count(body.bcc);
    if (total > MAX_RECIPIENTS) ctx.addIssue({ code: 'custom', path: ['to'], message: `At most ${MAX_RECIPIENTS} recipients in to, cc and bcc together (got ${total}).` });
    if (body.template_id) {
      for (const field of ['html', 'text'] as const) {
        if (body[field] !== undefined) ctx.addIssue({ code: 'custom', path: [field], message: 'Send either template_id or html/text, not both.' });
      }
    } else {
      if (body.html === undefined && body.text === undefined) ctx.addIssue({ code: 'custom', path: ['html'], message: 'Give html, text or template_id.' });
      if (body.subject === undefined) ctx.addIssue({ code: 'custom', path: ['subject'], message: 'A subject is required unless the template provides it.' });
      if (body.variables !== undefined) ctx.addIssue({ code: 'custom', path: ['variables'], message: 'variables only apply with template_id.' });
    }
    if (body.list_unsubscribe && total > 1) {
      ctx.addIssue({ code: 'custom', path: ['list_unsubscribe'], message: 'One-click unsubscribe identifies one recipient: send to exactly one address.' });
    }
    if (body.scheduled_at) {
      const at = Date.parse(body.scheduled_at);
      if (at > Date.now() + MAX_SCHEDULE_DAYS * 86_400_000) {
        ctx.addIssue({ code: 'custom', path: ['scheduled_at'], message: `Schedule at most ${MAX_SCHEDULE_DAYS} days ahead.` });
      }
    }
  });
export type SendEmailBody = z.output<typeof SendEmailBody>;

export const SendBatchBody = z.array(SendEmailBody).min(1).max(100);

export const EMAIL_STATUSES = [
  'scheduled', 'queued', 'sending', 'sent', 'delivery_delayed', 'delivered', 'opened', 'clicked',
  'bounced', 'complained', 'failed', 'canceled',
] as const;
export const EmailStatus = z.enum(EMAIL_STATUSES);
export type EmailStatus = z.infer<typeof EmailStatus>;

export const RecipientOutcome = z
  .object({
    email: z.string(),
    type: z.enum(['to', 'cc', 'bcc']),
    status: z.string().describe('queued, suppressed, or the latest delivery status for this recipient'),
    reason: z.string().nullable().describe('Why, for a suppressed, bounced, complained, delayed or failed recipient (e.g. the bounce type); null otherwise.'),
  })
  .meta({ id: 'EmailRecipient' });
export type RecipientOutcome = z.infer<typeof RecipientOutcome>;

export const Email = z
  .object({
    id: idOf('email'),
    team_id: idOf('team'),
    status: EmailStatus.describe(
      'Moves forward only: scheduled → queued → sending → sent → delivery_delayed / delivered → opened → clicked. ' +
        'bounced, complained, failed and canceled are final.',
    ),
    from: z.string().describe('As sent: `"Name" <address>` or the bare address.'),
    to: z.array(z.string()),
    cc: z.array(z.string()),
    bcc: z.array(z.string()),
    reply_to: z.array(z.string()),
    subject: z.string().describe('The subject as sent (rendered, for a template).'),
    tags: z.record(z.string(), z.string()),
    recipients: z.array(RecipientOutcome).describe('Each distinct address of to, cc and bcc with its own outcome.'),
    template: z
      .object({ id: z.string(), version: z.number() })
      .nullable()
      .describe('The template and version the email was rendered from; null when sent with html/text.'),
    tracking: z.object({ opens: z.boolean(), clicks: z.boolean() }),
    scheduled_at: Timestamp.nullable().describe('When a scheduled email is due; null for one sent at once.'),
    ses_message_id: z.string().nullable().describe('SES\'s message id, once SES accepted the email.'),
    error: z
      .object({ code: z.string(), message: z.string() })
      .nullable()
      .describe('Why a `failed` email was not sent (e.g. `rejected`, `send_retries_exhausted`); null otherwise.'),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .meta({ id: 'Email' });
export type Email = z.infer<typeof Email>;

export const EmailEvent = z
  .object({
    type: z.string().describe('What happened: the status it recorded (queued, scheduled, sent, delivered, bounced, opened, clicked, failed, canceled, …).'),
    at: Timestamp,
    recipient: z.string().nullable().describe('The one recipient it concerns; null when it concerns the whole email or several recipients (`detail.recipients`).'),
    detail: z.record(z.string(), z.unknown()).describe('Facts particular to the type, e.g. the bounce type or the clicked link.'),
  })
  .meta({ id: 'EmailEvent' });
export type EmailEvent = z.infer<typeof EmailEvent>;

export const EmailWithEvents = Email.extend({ events: z.array(EmailEvent).describe('The timeline, oldest first.') }).meta({ id: 'EmailWithEvents' });

/** An email of a batch that was not accepted: the error envelope a single send would have answered, with no id. */
export const BatchEmailRejected = ErrorEnvelope.extend({ id: z.null() }).meta({ id: 'BatchEmailRejected' });

export const BatchEmailsAccepted = z
  .object({
    data: z
      .array(z.union([Email, BatchEmailRejected]))
      .describe('One entry per email of the request, in order: the accepted email, or (`id: null`) why that one was not sent.'),
  })
  .meta({ id: 'BatchEmailsAccepted' });

export const EmailParams = z.strictObject({ id: idOf('email') });

export const ListEmailsQuery = ListQuery.extend({
  status: EmailStatus.optional().describe('Only emails in this status.'),
  tag: z.string().max(330).regex(/^[A-Za-z0-9_-]+:[A-Za-z0-9_.@-]+$/, 'Use key:value.').optional().describe('Only emails carrying this tag, as `key:value`.'),
  recipient: EmailAddress.optional().describe('Only emails sent to this address (to, cc or bcc).'),
  since: Timestamp.optional().describe('Only emails created at or after this time.'),
  until: Timestamp.optional().describe('Only emails created at or before this time.'),
});
export type ListEmailsQuery = z.output<typeof ListEmailsQuery>;

const ACCEPTING =
  'The `from` address must be on a verified domain of the team (or the deployment\'s default sending domain). ' +
  'Suppressed recipients are skipped (`suppressed` in `recipients`); the others count against the team\'s daily and monthly send quotas ' +
  '(`quota_exceeded` with `Retry-After` and `error.resets_at` when used up). A team whose own bounce or complaint rate passed the ' +
  'deployment\'s limit is paused: every send is refused with 403 `sending_paused` until the operator resumes it. Delivery happens in the background: follow `status` here or with ' +
  'webhooks (`email.sent`, `email.delivered`, `email.bounced`, …). Send an `Idempotency-Key` so a retried request never sends twice.';

export const EMAIL_ROUTES = defineRoutes({
  'emails.send': {
    summary: 'Send an email',
    description:
      'Accepts the email and answers 202 with it `queued`, or `scheduled` when `scheduled_at` is in the future (at most 30 days ahead). ' +
      'Content is `html`/`text`, or a `template_id` rendered with `variables`. ' +
      ACCEPTING +
      ' An email whose every recipient is suppressed is refused with 422 `all_recipients_suppressed` (nothing is sent).',
    body: SendEmailBody,
    responses: { 202: Email },
    errors: ['all_recipients_suppressed', 'quota_exceeded', 'sending_paused', 'service_unavailable'],
  },
  'emails.batch': {
    summary: 'Send up to 100 emails at once',
    description:
      'Every email is validated first: one invalid email refuses the whole request (the error names it by index, e.g. `2.from`). ' +
      'Then each is accepted like POST /v1/emails, except that an email whose every recipient is suppressed (or that the send queue did not take) ' +
      'is answered in place as an error entry with `id: null` while the others are sent. ' +
      ACCEPTING,
    body: SendBatchBody,
    responses: { 202: BatchEmailsAccepted },
    errors: ['quota_exceeded', 'sending_paused', 'service_unavailable'],
  },
  'emails.list': {
    summary: 'List emails',
    description:
      'The team\'s emails, newest first. Filter by `status`, one `tag` (`key:value`), `recipient` (any of to, cc and bcc) and ' +
      '`since`/`until` (creation time); a filtered page may hold fewer than `limit` emails while `next_cursor` points further.',
    query: ListEmailsQuery,
    responses: { 200: pageOf(Email) },
  },
  'emails.get': {
    summary: 'Get an email',
    description: 'The email with each recipient\'s latest outcome and its event timeline (accepted, sent, delivered, opened, bounced, …).',
    params: EmailParams,
    responses: { 200: EmailWithEvents },
  },
  'emails.cancel': {
    summary: 'Cancel a scheduled email',
    description: 'Only a `scheduled` email can be canceled (409 `conflict` otherwise): it is never sent and its recipients no longer count against the quota.',
    params: EmailParams,
    responses: { 200: Email },
    errors: ['conflict'],
  },
});
