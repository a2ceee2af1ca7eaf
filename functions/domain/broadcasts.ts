/**
 * Broadcasts: one send of a template to the contacts of a segment, fanned out through the `broadcast` queue,
 * one message per page of the segment (PAGE_SIZE contacts read).
 *
 * A page: contacts that unsubscribed are skipped; the others get an email through acceptEmails (which skips
 * suppressed addresses: counted as skipped too) with a deterministic id per (campaign, contact). Before
 * accepting, the page's ids are read in one batch: an email that exists is not created again (and is
 * re-queued for the sender if still `queued`: the sender claims each email once), so a redelivered or
 * repeated page never makes or sends a second email. Then the campaign's checkpoint moves on (a conditional
 * update only the holder of the page can make, with the page's counts: repositories/broadcasts.ts) and the next
 * page is queued, delayed so the fan-out stays under the SES send rate. A paused or canceled broadcast stops
 * at the next page; resume queues the page at the checkpoint again.
 *
 * AWS calls per page of 50 contacts (all mailed): 1 GetItem (campaign) + 1 Query of contacts (or, for a segment
 * on a list: 1 GetItem of the list, 1 Query of its members, 1 BatchGetItem of their contacts) + 1 BatchGetItem
 * (existing email ids) + acceptEmails (1 GetItem team, 1 BatchGetItem suppressions, 2 GetItem for the pinned
 * template, 1 GetItem of the from domain unless it is the default one, 1 UpdateItem when the team has a quota,
 * then per email 1 S3 PutObject + 2 PutItem, and 5 SendMessageBatch) + 1 UpdateItem (checkpoint) + 1
 * SendMessageBatch (next page): about 165 calls for 50 emails, ~3.3 per email, before the sender's own.
 */
import { config } from '../shared/config.js';
import { ApiError } from '../shared/errors.js';
import { campaignEmail, sendRefusal } from './campaign-email.js';
import { deterministicId } from '../shared/ids.js';
import { logger } from '../shared/logger.js';
import { sendToQueue } from '../shared/queue/producer.js';
import { Address } from '../schemas/emails.js';
import type { Campaign } from '../schemas/campaigns.js';
import type { Contact } from '../schemas/contacts.js';
import { transitionCampaign, type CampaignAction } from '../repositories/campaigns.js';
import { advanceBroadcast, findBroadcast, type BroadcastCheckpoint, type StoredBroadcast } from '../repositories/broadcasts.js';
import { findEmails } from '../repositories/emails.js';
import { findTeamSegment } from '../repositories/segments.js';
import { findTemplate } from '../repositories/templates.js';
import { acceptEmails, checkFrom } from './send-email.js';
import { enqueueSendJobs } from './send-queue.js';
import { firstMatchPage } from './segments.js';

/** Contacts read per page (and so at most this many emails per queue message). */
export const PAGE_SIZE = 50;
const MAX_SQS_DELAY_SECONDS = 900;

export interface BroadcastPageJob {
  team_id: string;
  campaign_id: string;
  page: number;
}

/** The email a broadcast sends a contact: the same id however often its page runs. */
export const broadcastEmailId = (campaignId: string, contactId: string, idTime: number) => deterministicId('email', idTime, `broadcast\n${campaignId}\n${contactId}`);

const queuePage = (job: BroadcastPageJob, delaySeconds = 0) => sendToQueue('broadcast', [job], { delaySeconds });

async function transition(teamId: string, campaignId: string, action: CampaignAction, extra?: Record<string, unknown>, current?: Campaign): Promise<Campaign> {
  return (await transitionCampaign(teamId, campaignId, action, extra, current)).campaign;
}

const invalidField = (field: string, message: string) => new ApiError('validation_error', message, { param: field, errors: [{ field, code: 'invalid', message }] });

function parsedAddress(field: string, value: string | null): Address {
  const parsed = Address.safeParse(value);
  if (!parsed.success) throw invalidField(field, `The campaign's ${field} is not a valid address.`);
  return parsed.data;
}

/**
 * Starts a draft broadcast: checks what every page will need (segment, template, from domain), pins the
 * segment's filter and the template version, marks it `sending` and queues the first page.
 */
export async function launchBroadcast(teamId: string, campaign: Campaign): Promise<Campaign> {
  if (campaign.kind !== 'broadcast') throw new Error(`launchBroadcast: ${campaign.id} is a ${campaign.kind} campaign`);
  const segment = await findTeamSegment(teamId, campaign.segment_id!);
  if (!segment) throw invalidField('segment_id', `Segment ${campaign.segment_id} does not exist.`);
  const found = await findTemplate(teamId, campaign.template_id!);
  if (!('template' in found)) throw invalidField('template_id', `Template ${campaign.template_id} does not exist.`);
  await checkFrom(teamId, parsedAddress('from', campaign.from));
  if (campaign.reply_to !== null) parsedAddress('reply_to', campaign.reply_to);
  const now = Date.now();
  const checkpoint: BroadcastCheckpoint = { page: 0, filter: segment.filter, template_version: found.template.version, id_time: now, paced_until: now };
  const launched = await transition(teamId, campaign.id, 'launch', { broadcast: checkpoint }, campaign);
  await startPages(teamId, { team_id: teamId, campaign_id: campaign.id, page: 0 });
  return launched;
}

/** Queues the page to run next; if the queue refuses, the broadcast is left paused (resume starts it) and the caller told to retry. */
async function startPages(teamId: string, job: BroadcastPageJob): Promise<void> {
  try {
    await queuePage(job);
  } catch (error) {
    logger.error('broadcast page not queued', { campaign_id: job.campaign_id, error: error as Error });
    await transition(teamId, job.campaign_id, 'pause').catch(() => undefined);
    throw new ApiError('service_unavailable', 'The broadcast queue did not take the next page; the broadcast is paused. Resume it shortly.', { headers: { 'Retry-After': '1' } });
  }
}

/** Stops after the page in progress (it finishes, and counts); resume continues from the checkpoint. */
export function pauseBroadcast(teamId: string, campaign: Campaign): Promise<Campaign> {
  return transition(teamId, campaign.id, 'pause', undefined, campaign);
}

export async function resumeBroadcast(teamId: string, campaign: Campaign): Promise<Campaign> {
  const resumed = await transition(teamId, campaign.id, 'resume', { paused_reason: null }, campaign);
  const stored = await findBroadcast(campaign.id);
  await startPages(teamId, { team_id: teamId, campaign_id: campaign.id, page: stored!.checkpoint.page });
  return resumed;
}

/** No page starts after this; emails already queued by the page in progress still go out. */
export function cancelBroadcast(teamId: string, campaign: Campaign): Promise<Campaign> {
  return transition(teamId, campaign.id, 'cancel', undefined, campaign);
}


type Accepted = { queued: number; skipped: number } | { retryAt: number } | { broken: ApiError };

async function acceptPage(stored: StoredBroadcast, contacts: Contact[], ids: string[]): Promise<Accepted> {
  const { campaign } = stored;
  try {
    const from = parsedAddress('from', campaign.from);
    const replyTo = campaign.reply_to === null ? null : parsedAddress('reply_to', campaign.reply_to);
    const results = await acceptEmails(
      stored.team_id,
      contacts.map((c) =>
        campaignEmail(campaign.id, c, { from, reply_to: replyTo, subject: campaign.subject, template_id: campaign.template_id!, template_version: stored.checkpoint.template_version }),
      ),
      { batch: true, ids },
    );
    // An email refused because the queue failed exists (failed): it was this broadcast's, so it counts as queued.
    const suppressed = results.filter((r) => !r.ok && r.error.code === 'all_recipients_suppressed').length;
    return { queued: results.length - suppressed, skipped: suppressed };
  } catch (error) {
    return sendRefusal(error);
  }
}

/**
 * The `broadcast` queue's work: sends one page if the checkpoint is at it. `attempt` is the delivery count: a
 * redelivered page that finds the checkpoint already past it queues the next page again (it may have died
 * between moving the checkpoint and queuing).
 */
export async function sendBroadcastPage(job: BroadcastPageJob, attempt: number): Promise<void> {
  const stored = await findBroadcast(job.campaign_id);
  if (!stored || stored.team_id !== job.team_id || stored.campaign.status !== 'sending') return;
  const { campaign, checkpoint } = stored;
  if (checkpoint.page !== job.page) {
    if (checkpoint.page === job.page + 1 && attempt > 1) await queuePage({ ...job, page: checkpoint.page });
    return;
  }
  const now = Date.now();
  const page = await firstMatchPage(job.team_id, checkpoint.filter, { cursor: checkpoint.cursor, pageSize: PAGE_SIZE, now });
  const mailable = page.contacts.filter((c) => c.subscribed);
  let skipped = page.contacts.length - mailable.length;
  const ids = mailable.map((c) => broadcastEmailId(campaign.id, c.id, checkpoint.id_time));
  const existing = await findEmails(ids);
  const exists = new Set(existing.map((e) => e.id));
  const stillQueued = existing.filter((e) => e.status === 'queued').map((e) => ({ job: { email_id: e.id, team_id: job.team_id }, delaySeconds: 0 }));
  if ((await enqueueSendJobs(stillQueued)).length) throw new Error(`broadcast ${campaign.id}: the send queue did not take re-queued emails`);
  let queued = existing.length;
  const fresh = mailable.map((contact, i) => ({ contact, id: ids[i]! })).filter((f) => !exists.has(f.id));
  if (fresh.length) {
    const accepted = await acceptPage(
      stored,
      fresh.map((f) => f.contact),
      fresh.map((f) => f.id),
    );
    if ('retryAt' in accepted) {
      // Over the team's send quota: this page again when it resets (a new message, so no delivery attempts are used up).
      await queuePage(job, Math.min(MAX_SQS_DELAY_SECONDS, Math.max(1, Math.ceil((accepted.retryAt - Date.now()) / 1000))));
      return;
    }
    if ('broken' in accepted) {
      // Every page would fail the same way (template deleted, domain no longer verified): pause until it is fixed.
      logger.warn('broadcast paused: its emails are refused', { campaign_id: campaign.id, code: accepted.broken.code, message: accepted.broken.message });
      await transition(job.team_id, campaign.id, 'pause', { paused_reason: { code: accepted.broken.code, message: accepted.broken.message, at: new Date().toISOString() } });
      return;
    }
    queued += accepted.queued;
    skipped += accepted.skipped;
  }
  const pacedUntil = Math.max(now, checkpoint.paced_until) + (queued * 1000) / config.sesSendRatePerSecond;
  const advanced = await advanceBroadcast(campaign.id, {
    page: job.page,
    next_cursor: page.next_cursor,
    queued: campaign.progress!.queued + queued,
    skipped: campaign.progress!.skipped + skipped,
    paced_until: pacedUntil,
  });
  if (!advanced || advanced.status !== 'sending' || page.next_cursor === null) return;
  await queuePage({ ...job, page: job.page + 1 }, Math.min(MAX_SQS_DELAY_SECONDS, Math.max(0, Math.floor((pacedUntil - Date.now()) / 1000))));
}
