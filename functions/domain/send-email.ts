/**
 * Accepting emails for sending: content (inline or from a template), the `from` domain rule, attachment
 * size, per-recipient suppression outcomes and the team quota. Accepted emails are stored (metadata in
 * DynamoDB; content in the send job, or in S3 when large or when the caller may re-queue the email by id)
 * and handed to the send queue; the sender worker does the rest.
 */
import { config } from '../shared/config.js';
import { ApiError, notFound } from '../shared/errors.js';
import { countMetric } from '../shared/metrics.js';
import { deterministicId, newId } from '../shared/ids.js';
import { formatAddress, MAX_ATTACHMENT_BYTES, MAX_STORED_ATTACHMENT_BYTES, type Attachment, type Address, type RecipientOutcome, type SendEmailBody } from '../schemas/emails.js';
import { appendEmailEvent, cancelScheduledEmail, createEmail, findEmail, markFailed, publicEmail, type EmailThreading, type NewEmail, type StoredEmail } from '../repositories/emails.js';
import { findTeamAndSuppressed } from '../repositories/suppressions.js';
import { consumeSendQuota, refundSendQuota } from '../repositories/send-quotas.js';
import { findVerifiedSendingDomain } from '../repositories/domains.js';
import { attachmentKey, copyMediaToMail, payloadKey, putEmailPayload, type AttachmentCopy, type EmailPayload } from '../repositories/mail-store.js';
import { enqueueSendJobs, INLINE_PAYLOAD_MAX_BYTES, sendDelaySeconds, type SendJob } from './send-queue.js';
import { attachableObject } from './storage.js';
import { renderTemplate, type TemplateLookups } from './templates.js';
import type { Email } from '../schemas/emails.js';


export type AcceptedEmail = { ok: true; email: Email; threading: EmailThreading | null } | { ok: false; error: ApiError };

/** Sending from an inbox: which thread the email joins (null: it starts one) and what it replies to. */
export interface InboxThreadContext {
  inbox_id: string;
  thread_id: string | null;
  in_reply_to: string | null;
  references: string[];
}

function decodedSize(base64: string): number {
  return Math.floor((base64.length * 3) / 4) - (base64.endsWith('==') ? 2 : base64.endsWith('=') ? 1 : 0);
}

/** Per request: a batch from one domain checks it once, not once per email. */
type DomainChecks = Map<string, Promise<boolean>>;

/** Whether the team may send from `from`; `field` names it in the 422 (a list's `confirmation.from` uses this too). */
export async function checkFrom(teamId: string, from: Address, checks: DomainChecks = new Map(), field = 'from'): Promise<void> {
  const domain = from.email.split('@')[1]!;
  if (domain === config.defaultSendingDomain) return;
  if (!checks.has(domain)) checks.set(domain, findVerifiedSendingDomain(teamId, domain).then(Boolean));
  if (await checks.get(domain)) return;
  const fallback = config.defaultSendingDomain ? ` or on ${config.defaultSendingDomain}` : '';
  throw new ApiError('validation_error', `The from address must be on a verified domain of your team${fallback}; ${domain} is not.`, {
    param: field,
    errors: [{ field, code: 'domain_not_verified', message: `${domain} is not a verified sending domain of this team.` }],
  });
}

function recipientOutcomes(body: SendEmailBody, suppressed: Set<string>): RecipientOutcome[] {
  const seen = new Set<string>();
  const outcomes: RecipientOutcome[] = [];
  for (const type of ['to', 'cc', 'bcc'] as const) {
    for (const address of body[type] ?? []) {
      if (seen.has(address.email)) continue;
      seen.add(address.email);
      const isSuppressed = suppressed.has(address.email);
      outcomes.push({ email: address.email, type, status: isSuppressed ? 'suppressed' : 'queued', reason: isSuppressed ? 'suppressed' : null });
    }
  }
  return outcomes;
}

interface Prepared {
  body: SendEmailBody;
  id: string;
  subject: string;
  payload: EmailPayload;
  template: { id: string; version: number } | null;
  outcomes: RecipientOutcome[];
  attachmentCopies: AttachmentCopies;
}

/**
 * Attachments as the payload keeps them. Those given by reference are checked (a 422 if missing), and the copies
 * that put them next to the payload are returned for copyAttachments, which runs once the request is admitted.
 */
async function storedAttachments(teamId: string, emailId: string, attachments: Attachment[]): Promise<{ payload: EmailPayload['attachments']; copies: AttachmentCopies }> {
  const found = await Promise.all(
    attachments.map((a, i) => (a.content === undefined ? attachableObject(teamId, { bucket: a.bucket!, key: a.key! }, `attachments.${i}`) : undefined)),
  );
  const storedBytes = found.reduce((sum, f) => sum + (f?.size ?? 0), 0);
  if (storedBytes > MAX_STORED_ATTACHMENT_BYTES) {
    throw new ApiError('payload_too_large', `Stored attachments total ${storedBytes} bytes; at most ${MAX_STORED_ATTACHMENT_BYTES} bytes per email.`, { param: 'attachments' });
  }
  const copies: (AttachmentCopy & { index: number })[] = [];
  const payload = attachments.map((a, i) => {
    const common = { ...(a.content_id && { content_id: a.content_id }) };
    const object = found[i];
    if (!object) return { filename: a.filename!, content: a.content!, ...(a.content_type && { content_type: a.content_type }), ...common };
    const to = attachmentKey(teamId, emailId, i);
    copies.push({ from: object.physicalKey, to, index: i });
    const contentType = a.content_type ?? object.contentType;
    return { filename: a.filename ?? a.key!.split('/').pop()!, stored_key: to, ...(contentType && { content_type: contentType }), ...common };
  });
  return { payload, copies: copies.map((copy) => ({ ...copy, source: `${attachments[copy.index]!.bucket}/${attachments[copy.index]!.key}` })) };
}

type AttachmentCopies = (AttachmentCopy & { index: number; source: string })[];

/**
 * The copies are writes, so they wait for the admission (a request not yet authenticated must write nothing),
 * and come before anything is counted or stored: an object deleted since the check is still a clear 422.
 */
async function copyAttachments(copies: AttachmentCopies): Promise<void> {
  await Promise.all(
    copies.map((copy) =>
      copyMediaToMail(copy).catch((error) => {
        if ((error as Error).name === 'NoSuchKey') throw new ApiError('validation_error', `Attachment ${copy.source}: Object not found.`, { param: `attachments.${copy.index}` });
        throw error;
      }),
    ),
  );
}

async function prepare(teamId: string, body: SendEmailBody, suppressed: Set<string>, acceptedAt: number, domainChecks: DomainChecks, templates: TemplateLookups, givenId?: string): Promise<Prepared> {
  await checkFrom(teamId, body.from, domainChecks);
  const attachmentBytes = (body.attachments ?? []).reduce((sum, a) => sum + (a.content === undefined ? 0 : decodedSize(a.content)), 0);
  if (attachmentBytes > MAX_ATTACHMENT_BYTES) {
    throw new ApiError('payload_too_large', `Attachments total ${attachmentBytes} bytes; at most ${MAX_ATTACHMENT_BYTES} bytes per email.`, { param: 'attachments' });
  }
  const id = givenId ?? newId('email', acceptedAt);
  const { payload: attachments, copies: attachmentCopies } = await storedAttachments(teamId, id, body.attachments ?? []);
  let subject = body.subject ?? '';
  let html = body.html ?? null;
  let text = body.text ?? null;
  let template: Prepared['template'] = null;
  if (body.template_id) {
    const rendered = await renderTemplate(teamId, body.template_id, body.variables ?? {}, body.template_version, templates);
    subject = body.subject ?? rendered.subject;
    html = rendered.html || null;
    text = rendered.text || null;
    template = { id: body.template_id, version: rendered.template_version };
  }
  return {
    body,
    // The id's time is the email's created_at, so a time range on ids matches created_at exactly.
    id,
    subject,
    payload: { html, text, headers: body.headers ?? {}, attachments },
    attachmentCopies,
    template,
    outcomes: recipientOutcomes(body, suppressed),
  };
}

/** In a batch, an error about one email names it by index (`1.from`), as the schema's field errors do. */
function atIndex(error: unknown, index: number): unknown {
  if (!(error instanceof ApiError)) return error;
  const field = (name: string) => `${index}.${name}`;
  return new ApiError(error.code, `Email ${index}: ${error.message}`, {
    ...error.options,
    ...(error.options.param !== undefined && { param: field(error.options.param) }),
    ...(error.options.errors && { errors: error.options.errors.map((e) => ({ ...e, field: field(e.field) })) }),
  });
}

/** The values, unless one email failed: the first (by position, not by timing) refuses the whole request. */
function firstRefusal<T>(settled: PromiseSettledResult<T>[], batch: boolean | undefined): T[] {
  const failed = settled.findIndex((s) => s.status === 'rejected');
  if (failed < 0) return settled.map((s) => (s as PromiseFulfilledResult<T>).value);
  const reason = (settled[failed] as PromiseRejectedResult).reason;
  throw batch ? atIndex(reason, failed) : reason;
}

/**
 * Emails of one request stored at a time: a batch of 50–100 is not hundreds of calls in a row. 24 of them, with
 * the request's audit entry, fill one BatchWriteItem (25 items): fresh-id emails stored together are one call.
 */
const STORE_CONCURRENCY = 24;

/** `fn` over `items`, `limit` at a time, results in order; after a failure no new item starts, and the first failure is thrown. */
async function mapConcurrently<T, R>(items: T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const index = next++;
      try {
        results[index] = await fn(items[index]!, index);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  const settled = await Promise.allSettled(Array.from({ length: Math.min(limit, items.length) }, worker));
  const rejected = settled.find((s) => s.status === 'rejected');
  if (rejected) throw (rejected as PromiseRejectedResult).reason;
  return results;
}

/**
 * Stores a new email. When the write's answer is lost (a timeout) and the id is ours (`freshId`), a consistent
 * read says whether the email is stored, so a stored email is queued and answered 202 instead of staying
 * `queued` with no job behind a 5xx.
 */
async function storeEmail(email: NewEmail, freshId: boolean): Promise<StoredEmail> {
  try {
    return await createEmail(email, { freshId });
  } catch (error) {
    const found = freshId ? await findEmail(email.id).catch(() => undefined) : undefined;
    if (!found) throw error;
    return found;
  }
}

/**
 * Accepts one or more emails. Everything that can reject the request (validation, from domain, size,
 * quota) is checked before anything is stored, so a rejected request leaves nothing behind.
 * `batch`: the bodies came as a list, so an error names the email by its index. `ids`: email ids chosen by
 * the caller (deterministic ids make campaign sends idempotent: the email's Put fails if the id exists).
 */
export async function acceptEmails(
  teamId: string,
  bodies: SendEmailBody[],
  options: { batch?: boolean; inboxContexts?: (InboxThreadContext | undefined)[]; ids?: string[]; admitted?: () => Promise<void>; beforeLastWrite?: (emailIds: string[]) => void } = {},
): Promise<AcceptedEmail[]> {
  const allAddresses = bodies.flatMap((b) => [...b.to, ...(b.cc ?? []), ...(b.bcc ?? [])].map((a) => a.email));
  const domainChecks: DomainChecks = new Map();
  // Every read at once: the team, the suppressions and each from domain (prepare() finds the domain checks under way).
  for (const body of bodies) checkFrom(teamId, body.from, domainChecks).catch(() => undefined);
  const { team, suppressed: suppressedMap } = await findTeamAndSuppressed(teamId, allAddresses);
  if (!team) throw notFound('Team');
  if (team.sending_paused) throw new ApiError('sending_paused', team.sending_paused.message, { details: { sending_paused: team.sending_paused } });
  const suppressed = new Set(suppressedMap.keys());
  const acceptedAt = Date.now();
  const templates: TemplateLookups = new Map();
  const settled = await Promise.allSettled(bodies.map((body, index) => prepare(teamId, body, suppressed, acceptedAt, domainChecks, templates, options.ids?.[index])));
  const prepared = firstRefusal(settled, options.batch);
  // Everything above only read; from here on the request writes.
  await options.admitted?.();
  firstRefusal(await Promise.allSettled(prepared.map((p) => copyAttachments(p.attachmentCopies))), options.batch);

  const sendable = prepared.filter((p) => p.outcomes.some((o) => o.status === 'queued'));
  const recipientCount = sendable.reduce((sum, p) => sum + queuedCount(p.outcomes), 0);
  const quota = await consumeSendQuota(teamId, recipientCount, {
    daily: team.daily_quota ?? (config.sendQuotas.daily || null),
    monthly: team.monthly_quota ?? (config.sendQuotas.monthly || null),
  });
  if (!quota.admitted && quota.never) {
    throw new ApiError('validation_error', `This request has ${recipientCount} recipients; the team's ${quota.period === 'day' ? 'daily' : 'monthly'} quota is ${quota.limit}.`, {
      param: 'to',
      errors: [{ field: 'to', code: 'quota_too_small', message: `More recipients than the whole ${quota.period === 'day' ? 'daily' : 'monthly'} quota (${quota.limit}).` }],
    });
  }
  if (!quota.admitted) {
    const retryAfter = Math.max(1, Math.ceil((Date.parse(quota.resetsAt) - Date.now()) / 1000));
    throw new ApiError('quota_exceeded', `This team's ${quota.period === 'day' ? 'daily' : 'monthly'} send quota of ${quota.limit} recipients is used up; it resets at ${quota.resetsAt}.`, {
      headers: { 'Retry-After': String(retryAfter) },
      details: { resets_at: quota.resetsAt },
    });
  }

  const now = new Date(acceptedAt).toISOString();
  if (sendable.length) options.beforeLastWrite?.(sendable.map((p) => p.id));
  const jobs: { job: SendJob; delaySeconds: number }[] = [];
  const results = await mapConcurrently(prepared, STORE_CONCURRENCY, async (p, index): Promise<AcceptedEmail> => {
    if (!sendable.includes(p)) {
      return {
        ok: false,
        error: new ApiError('all_recipients_suppressed', 'Every recipient of this email is on the suppression list; nothing was sent.', {
          param: 'to',
          details: { recipients: p.outcomes },
        }),
      };
    }
    const scheduledAt = p.body.scheduled_at && Date.parse(p.body.scheduled_at) > Date.now() ? new Date(p.body.scheduled_at).toISOString() : null;
    // Callers that choose ids (campaigns, broadcasts) may re-queue an existing email by id alone: its content must outlive the job.
    const inline = !options.ids && Buffer.byteLength(JSON.stringify(p.payload)) <= INLINE_PAYLOAD_MAX_BYTES;
    const key = inline ? null : payloadKey(teamId, p.id);
    const context = options.inboxContexts?.[index];
    // Our Message-ID names the sending domain; SES replaces it on the wire, and the sender records SES's too.
    const threading: EmailThreading | null = context
      ? {
          inbox_id: context.inbox_id,
          thread_id: context.thread_id ?? deterministicId('thread', Date.parse(now), p.id),
          rfc_message_id: `<${p.id}@${p.body.from.email.split('@')[1]}>`,
          in_reply_to: context.in_reply_to,
          references: context.references,
        }
      : null;
    const job = { job: { email_id: p.id, team_id: teamId, ...(inline && { payload: p.payload }) }, delaySeconds: scheduledAt ? sendDelaySeconds(scheduledAt) : 0 };
    jobs.push(job);
    if (key) await putEmailPayload(key, p.payload);
    const newEmail: NewEmail = {
      id: p.id,
      team_id: teamId,
      status: scheduledAt ? 'scheduled' : 'queued',
      from: formatAddress(p.body.from),
      to: p.body.to.map(formatAddress),
      cc: (p.body.cc ?? []).map(formatAddress),
      bcc: (p.body.bcc ?? []).map(formatAddress),
      reply_to: (p.body.reply_to ?? []).map(formatAddress),
      subject: p.subject,
      tags: p.body.tags ?? {},
      recipients: p.outcomes,
      template: p.template,
      tracking: p.body.tracking ?? { opens: false, clicks: false },
      scheduled_at: scheduledAt,
      created_at: now,
      payload_key: key,
      list_unsubscribe: p.body.list_unsubscribe ?? false,
      threading,
    };
    const stored = await storeEmail(newEmail, !options.ids);
    return { ok: true, email: publicEmail(stored), threading };
  });
  const unqueued = new Set(await enqueueSendJobs(jobs));
  countMetric('EmailsAccepted', jobs.length - unqueued.size);
  if (!unqueued.size) return results;
  // Never leave an email `queued` that no worker will see: record the failure, give the quota back, and
  // tell the caller to retry (with the same Idempotency-Key, the retry is a new attempt: the key was released).
  const error = new ApiError('service_unavailable', 'The send queue did not accept this email; it was not sent. Retry shortly.', { headers: { 'Retry-After': '1' } });
  for (const id of unqueued) {
    await markFailed(id, { code: 'queue_unavailable', message: error.message });
  }
  const refund = results.filter((r) => r.ok && unqueued.has(r.email.id)).reduce((sum, r) => sum + (r.ok ? queuedCount(r.email.recipients) : 0), 0);
  await refundSendQuota(teamId, refund, new Date(now));
  if (bodies.length === 1) throw error;
  return results.map((r) => (r.ok && unqueued.has(r.email.id) ? { ok: false, error } : r));
}

/** Recipients an email counts against the send quota: those it will actually be sent to. */
const queuedCount = (recipients: RecipientOutcome[]) => recipients.filter((r) => r.status === 'queued').length;

/** Cancels a scheduled email: it is never sent, and no longer counts against the team's quota. */
export async function cancelEmail(teamId: string, id: string): Promise<Email> {
  const { email, canceled } = await cancelScheduledEmail(teamId, id);
  if (!canceled) throw new ApiError('conflict', `Only scheduled emails can be canceled; this one is ${email.status}.`, { param: 'id' });
  await appendEmailEvent(email.id, { type: 'canceled', at: new Date().toISOString(), recipient: null, detail: {} }, 'canceled');
  await refundSendQuota(email.team_id, queuedCount(email.recipients), new Date(email.created_at));
  return publicEmail(email);
}
