/**
 * Lists and memberships. A list's confirmation sender must be an address the team may send from. Deleting a
 * list hides it at once and sweeps its memberships in the background (a list can have any number of members,
 * each a transaction with its contact). A membership moves:
 *   none | unsubscribed --subscribe--> subscribed (single opt-in) | pending (double opt-in: a confirmation email)
 *   pending --confirmation link--> subscribed        subscribed | pending --unsubscribe--> unsubscribed
 * The contact's first confirmed subscription to a list (never a re-subscription) enrols it in the list's signup
 * campaigns. Every change publishes contact.updated; a subscribed member leaving also contact.unsubscribed
 * with the list id as its scope. A contact unsubscribed from everything stays so: a list subscription records
 * the membership, and campaigns and broadcasts still skip the contact.
 */
import { config } from '../shared/config.js';
import { ApiError, notFound } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import { sendToQueue } from '../shared/queue/producer.js';
import type { Contact } from '../schemas/contacts.js';
import type { SendEmailBody } from '../schemas/emails.js';
import type { CreateListBody, List, ListConfirmation, ListMember, MembershipStatus, UpdateListBody } from '../schemas/lists.js';
import { getTeamContact } from '../repositories/contacts.js';
import { findTeam } from '../repositories/teams.js';
import { nowIso } from '../repositories/table.js';
import { escapeHtml } from '../shared/http/html-page.js';
import {
  createList as storeList,
  findList,
  findMembership,
  markListDeleting,
  publicList,
  publicMember,
  setConfirmationSent,
  updateList as storeListUpdate,
  writeMembership,
  type StoredList,
  type StoredMember,
} from '../repositories/lists.js';
import { acceptEmails, checkFrom } from './send-email.js';
import { enrolForTrigger } from './enrolments.js';
import { signLink, verifyLink } from './signed-links.js';
import { platformEvent, publishEvents, type PlatformEvent } from './webhook-events.js';

/** A pending member who subscribes again gets a new confirmation email, but not more often than this. */
export const CONFIRMATION_RESEND_AFTER_MS = 10 * 60_000;
/** Lost races (the contact or membership changed between read and write) are retried this many times. */
const WRITE_ATTEMPTS = 5;
const LINK_PURPOSE = 'mailroom list confirmation links';


export async function createList(teamId: string, body: CreateListBody): Promise<List> {
  if (body.confirmation) await checkFrom(teamId, body.confirmation.from, undefined, 'confirmation.from');
  const now = nowIso();
  const list: List = {
    id: newId('list'),
    name: body.name,
    description: body.description,
    double_opt_in: body.double_opt_in,
    confirmation: body.confirmation,
    created_at: now,
    updated_at: now,
    version: 1,
  };
  return publicList(await storeList(teamId, list));
}

/** Changes the list; double opt-in needs confirmation settings, given now or stored. */
export async function updateList(teamId: string, id: string, changes: UpdateListBody, ifMatch: number | undefined): Promise<List> {
  if (changes.confirmation) await checkFrom(teamId, changes.confirmation.from, undefined, 'confirmation.from');
  const updated = await storeListUpdate(
    teamId,
    id,
    (current) => {
      const next: StoredList = {
        ...current,
        ...(changes.name !== undefined && { name: changes.name }),
        ...(changes.description !== undefined && { description: changes.description }),
        ...(changes.double_opt_in !== undefined && { double_opt_in: changes.double_opt_in }),
        ...(changes.confirmation !== undefined && { confirmation: changes.confirmation }),
      };
      if (next.double_opt_in && !next.confirmation) {
        const message = 'Double opt-in sends a confirmation email: give confirmation.from.';
        throw new ApiError('validation_error', message, { param: 'confirmation', errors: [{ field: 'confirmation', code: 'required', message }] });
      }
      return next;
    },
    ifMatch,
  );
  return publicList(updated);
}

export interface ListSweepJob {
  team_id: string;
  list_id: string;
  /** Set on the last pass, a while after the list looked empty: catches a subscription that raced the delete. */
  settled?: boolean;
}

export const queueListSweep = (job: ListSweepJob, delaySeconds = 0) => sendToQueue('list-sweep', [job], { delaySeconds });

/**
 * Deletes the list: it disappears from the API at once (and no longer counts against the team's limit); its
 * memberships, and the list id in each member's `lists`, are removed by the list-sweep worker. Deleting it
 * again while the sweep runs queues the sweep again (in case the first one never reached the queue).
 */
export async function deleteList(teamId: string, id: string): Promise<void> {
  if (!(await markListDeleting(teamId, id)) && !(await findList(teamId, id, { includeDeleting: true }))) throw notFound('List');
  await queueListSweep({ team_id: teamId, list_id: id });
}

interface Change {
  next: StoredMember;
  firstSubscription: boolean;
  sendConfirmation: boolean;
}

function confirmedChange(current: StoredMember, now: string): Change {
  return {
    next: { ...current, status: 'subscribed', subscribed_at: now, first_subscribed_at: current.first_subscribed_at ?? now, unsubscribed_at: null, updated_at: now, version: current.version + 1 },
    firstSubscription: current.first_subscribed_at === null,
    sendConfirmation: false,
  };
}

/** What subscribing changes (undefined: nothing, the contact is already subscribed or waiting to confirm). */
export function subscribeChange(list: StoredList, contact: Contact, current: StoredMember | undefined, now: string): Change | undefined {
  if (current?.status === 'subscribed' || (current?.status === 'pending' && list.double_opt_in)) return undefined;
  const base: StoredMember = current ?? {
    list_id: list.id,
    contact_id: contact.id,
    email: contact.email,
    team_id: list.team_id,
    status: 'unsubscribed',
    subscribed_at: null,
    first_subscribed_at: null,
    unsubscribed_at: null,
    confirmation_sent_at: null,
    created_at: now,
    updated_at: now,
    version: 0,
  };
  if (!list.double_opt_in) return confirmedChange(base, now);
  return {
    next: { ...base, status: 'pending', unsubscribed_at: null, confirmation_sent_at: now, updated_at: now, version: base.version + 1 },
    firstSubscription: false,
    sendConfirmation: true,
  };
}

export function unsubscribeChange(current: StoredMember, now: string): Change | undefined {
  if (current.status === 'unsubscribed') return undefined;
  return { next: { ...current, status: 'unsubscribed', unsubscribed_at: now, updated_at: now, version: current.version + 1 }, firstSubscription: false, sendConfirmation: false };
}

/** The contact's `lists` (confirmed subscriptions) once the membership has `status`. */
function listsWith(lists: string[], listId: string, status: MembershipStatus): string[] {
  const others = lists.filter((id) => id !== listId);
  return status === 'subscribed' ? [...others, listId] : others;
}

/** contact.updated (with the contact's lists and this membership), and contact.unsubscribed when a subscriber leaves the list. */
export function membershipEvents(teamId: string, contact: Contact, previous: MembershipStatus | undefined, member: StoredMember): PlatformEvent[] {
  const data = { contact_id: contact.id, email: contact.email, url: `/v1/contacts/${contact.id}` };
  const seed = `${contact.id}\n${contact.version}`;
  const events = [
    platformEvent({
      team_id: teamId,
      type: 'contact.updated',
      timestamp: contact.updated_at,
      seed,
      data: {
        ...data,
        first_name: contact.first_name,
        last_name: contact.last_name,
        tags: contact.tags,
        subscribed: contact.subscribed,
        lists: contact.lists,
        list: { id: member.list_id, status: member.status },
      },
    }),
  ];
  if (previous === 'subscribed' && member.status === 'unsubscribed') {
    events.push(platformEvent({ team_id: teamId, type: 'contact.unsubscribed', timestamp: contact.updated_at, seed, data: { ...data, scope: member.list_id } }));
  }
  return events;
}

/** Writes the change with the contact's lists; the contact as written, or undefined after a lost race. */
async function applyChange(teamId: string, contact: Contact, current: StoredMember | undefined, change: Change, now: string): Promise<Contact | undefined> {
  const written = await writeMembership(teamId, contact, current, change.next, listsWith(contact.lists, change.next.list_id, change.next.status), now);
  if (written) await publishEvents(membershipEvents(teamId, written, current?.status, change.next));
  return written;
}

const lostRace = () => new ApiError('conflict', 'This contact is being changed by other requests at the same time; retry.', { retryable: true });

/** Names of the signup campaigns the contact's first subscription to the list enrolled it in. */
async function enrolSignup(teamId: string, contact: Contact, listId: string): Promise<string[]> {
  const { enrolled } = await enrolForTrigger(teamId, contact, { list_id: listId });
  return enrolled.map((campaign) => campaign.name);
}

// Confirmation links ----------------------------------------------------------------------------------------

interface ConfirmationClaim {
  team_id: string;
  list_id: string;
  contact_id: string;
  /** Epoch milliseconds. */
  expires_at: number;
}

export function listConfirmationToken(claim: ConfirmationClaim): Promise<string> {
  return signLink(LINK_PURPOSE, [claim.team_id, claim.list_id, claim.contact_id, claim.expires_at]);
}

async function verifyConfirmationToken(token: string): Promise<ConfirmationClaim | undefined> {
  const claim = await verifyLink(LINK_PURPOSE, token);
  const [team_id, list_id, contact_id, expires_at] = claim ?? [];
  if (claim?.length !== 4 || typeof team_id !== 'string' || typeof list_id !== 'string' || typeof contact_id !== 'string' || typeof expires_at !== 'number') return undefined;
  return { team_id, list_id, contact_id, expires_at };
}

export const listConfirmationUrl = (token: string) => `${config.publicApiUrl}/v1/lists/confirm/${token}`;


/** The built-in confirmation email: what the person signed up for, the link, and what happens if they ignore it. */
export function confirmationEmail(list: StoredList, email: string, url: string, expiresAt: number): SendEmailBody {
  const expires = new Date(expiresAt).toUTCString();
  const subject = list.confirmation!.subject ?? `Confirm your subscription to ${list.name}`;
  const about = list.description ? ` (${list.description})` : '';
  return {
    from: list.confirmation!.from,
    to: [{ email }],
    subject,
    text: [
      `Please confirm that you want to receive "${list.name}"${about} at ${email}.`,
      '',
      `Confirm your subscription: ${url}`,
      '',
      `The link works until ${expires}. If you did not ask for this, ignore this email: you will not be subscribed.`,
    ].join('\n'),
    html: [
      `<p>Please confirm that you want to receive <strong>${escapeHtml(list.name)}</strong>${escapeHtml(about)} at ${escapeHtml(email)}.</p>`,
      `<p><a href="${escapeHtml(url)}">Yes, subscribe me</a></p>`,
      `<p>The link works until ${escapeHtml(expires)}. If you did not ask for this, ignore this email: you will not be subscribed.</p>`,
    ].join('\n'),
    tags: { mailroom_list_id: list.id },
  };
}

/**
 * Sends the confirmation email through the normal send path (quota, suppression list, pacing). The membership
 * already records it as sent at `sentAt` (that claim keeps two requests from both sending); if nothing is
 * sent, the record is cleared so the next subscribe sends again. `param` names the request field that chose
 * the list, for the error when the list's sender can no longer send.
 */
async function sendConfirmation(teamId: string, list: StoredList, member: StoredMember, sentAt: string, param: string | undefined): Promise<string | null> {
  const expiresAt = Date.now() + config.listConfirmationTtlSeconds * 1000;
  const token = await listConfirmationToken({ team_id: teamId, list_id: list.id, contact_id: member.contact_id, expires_at: expiresAt });
  const sent = { ...member, confirmation_sent_at: sentAt };
  let results;
  try {
    results = await acceptEmails(teamId, [confirmationEmail(list, member.email, listConfirmationUrl(token), expiresAt)]);
  } catch (error) {
    await setConfirmationSent(sent, sentAt, null);
    if (error instanceof ApiError && error.code === 'validation_error') {
      throw new ApiError('validation_error', `The list's confirmation email cannot be sent: ${error.message} Change the list's confirmation.from.`, { ...(param && { param }) });
    }
    throw error;
  }
  const [result] = results;
  if (result?.ok) return result.email.id;
  // The address is suppressed: no email can reach it, so none was sent.
  await setConfirmationSent(sent, sentAt, null);
  return null;
}

// Subscribing, confirming, unsubscribing --------------------------------------------------------------------

export interface SubscribeOutcome {
  contact: Contact;
  member: ListMember;
  /** The membership did not exist before. */
  created: boolean;
  /** The contact's first confirmed subscription to this list (signup campaigns started). */
  first_subscription: boolean;
  /** The confirmation email sent for a double opt-in list (null: none was due, or the address is suppressed). */
  confirmation_email_id: string | null;
  enrolled_campaigns: string[];
}

/**
 * Subscribes the contact: subscribed at once, or pending with a confirmation email on a double opt-in list.
 * Subscribing again changes nothing, except that a pending member is sent a new confirmation email if the
 * last one is older than CONFIRMATION_RESEND_AFTER_MS.
 */
export async function subscribeContact(teamId: string, list: StoredList, contact: Contact, options: { param?: string } = {}): Promise<SubscribeOutcome> {
  let latest = contact;
  for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
    if (attempt > 0) latest = await getTeamContact(teamId, contact.id);
    const current = await findMembership(latest.id, list.id);
    const now = nowIso();
    const change = subscribeChange(list, latest, current, now);
    if (!change) {
      const member = current!;
      const previous = member.confirmation_sent_at;
      const resend = member.status === 'pending' && (!previous || Date.parse(now) - Date.parse(previous) >= CONFIRMATION_RESEND_AFTER_MS);
      if (!resend || !(await setConfirmationSent(member, previous, now))) {
        return { contact: latest, member: publicMember(member), created: false, first_subscription: false, confirmation_email_id: null, enrolled_campaigns: [] };
      }
      const confirmation_email_id = await sendConfirmation(teamId, list, member, now, options.param);
      const resent = { ...member, confirmation_sent_at: confirmation_email_id ? now : null };
      return { contact: latest, member: publicMember(resent), created: false, first_subscription: false, confirmation_email_id, enrolled_campaigns: [] };
    }
    const written = await applyChange(teamId, latest, current, change, now);
    if (!written) continue;
    const confirmation_email_id = change.sendConfirmation ? await sendConfirmation(teamId, list, change.next, now, options.param) : null;
    const member = change.sendConfirmation && !confirmation_email_id ? { ...change.next, confirmation_sent_at: null } : change.next;
    const enrolled_campaigns = change.firstSubscription ? await enrolSignup(teamId, written, list.id) : [];
    return { contact: written, member: publicMember(member), created: !current, first_subscription: change.firstSubscription, confirmation_email_id, enrolled_campaigns };
  }
  throw lostRace();
}

/** The JSON answer of a confirmation link, less its constant `confirmed: true`. */
export type ConfirmOutcome = Omit<ListConfirmation, 'confirmed'>;

const linkProblem = (message: string, reason: string) => new ApiError('not_found', message, { details: { reason } });

/**
 * A click on a confirmation link: the pending member becomes subscribed (the first time, signup campaigns
 * start). Clicking again is harmless. A forged or expired link, or one whose subscription was cancelled or
 * whose list was deleted since, is a 404 that says which.
 */
export async function confirmSubscription(token: string): Promise<ConfirmOutcome> {
  const claim = await verifyConfirmationToken(token);
  if (!claim) throw linkProblem('This confirmation link is not valid. Check that the whole link from the email was used.', 'invalid');
  const [team, list] = await Promise.all([findTeam(claim.team_id), findList(claim.team_id, claim.list_id)]);
  if (!team || !list) throw linkProblem('This list no longer exists.', 'list_deleted');
  for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
    const [contact, current] = await Promise.all([
      getTeamContact(claim.team_id, claim.contact_id).catch((error) => {
        if (error instanceof ApiError && error.code === 'not_found') return undefined;
        throw error;
      }),
      findMembership(claim.contact_id, claim.list_id),
    ]);
    if (current?.status === 'subscribed') return { list: publicList(list), member: publicMember(current), already_confirmed: true, enrolled_campaigns: [] };
    if (claim.expires_at < Date.now()) throw linkProblem('This confirmation link has expired. Subscribe again to get a new one.', 'expired');
    if (!contact || current?.status !== 'pending') throw linkProblem('This subscription was cancelled since the link was sent. Subscribe again to get a new link.', 'cancelled');
    const now = nowIso();
    const change = confirmedChange(current, now);
    const written = await applyChange(claim.team_id, contact, current, change, now);
    if (!written) continue;
    const enrolled_campaigns = change.firstSubscription ? await enrolSignup(claim.team_id, written, list.id) : [];
    return { list: publicList(list), member: publicMember(change.next), already_confirmed: false, enrolled_campaigns };
  }
  throw lostRace();
}

/** Unsubscribes the contact from this list only (a pending member's subscription is cancelled). Repeating it changes nothing. */
export async function unsubscribeFromList(teamId: string, list: StoredList, contactId: string): Promise<ListMember> {
  for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
    const [contact, current] = await Promise.all([getTeamContact(teamId, contactId), findMembership(contactId, list.id)]);
    if (!current) throw notFound('List member');
    const now = nowIso();
    const change = unsubscribeChange(current, now);
    if (!change) return publicMember(current);
    if (await applyChange(teamId, contact, current, change, now)) return publicMember(change.next);
  }
  throw lostRace();
}
