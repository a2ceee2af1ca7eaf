/**
 * Emails and their event timelines. Access patterns: get by id (API, sender, events worker), a team's
 * emails newest first with filters, an email's timeline oldest first, conditional status moves.
 *   email: pk EMAIL#<id> sk EMAIL          gsi2pk TEAM#<team>#EMAILS gsi2sk <id>   (emailsByTeam: projects only
 *          recipient_addresses and tags, which never change, so status writes cost no index write)
 *   event: pk EMAIL#<id> sk EVENT#<iso>#<dedupe key>
 * Bodies and attachments travel in the send job or live in S3 (payload_key); the item holds metadata only.
 * The acceptance and the send are on the email item itself (created_at, sent_at), so the timeline shows
 * them without an event item of their own. An SES outcome that moves the status keeps its entry on the email
 * too (`timeline`, written by that status write); the others get an event item.
 * `counted` is the set of `<counter>:<recipient>` the stats have been given for this email (email-stats.ts):
 * claiming a token rides on the status write that causes it, so counting once costs no extra write.
 */
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../shared/clients.js';
import { notFound } from '../shared/errors.js';
import type { Email, EmailEvent, EmailStatus, ListEmailsQuery, RecipientOutcome } from '../schemas/emails.js';
import { STATUS_RANK } from '../domain/email-status.js';
import { batchGetAll, putItem, itemsOfIndexEntries, listCollection, nowIso, queryAllWithPrefix, tableName, withoutNulls, type ItemFilter, type Page, newOwnedItemPut, conditionalUpdate } from './table.js';

const emailKey = (id: string) => ({ pk: `EMAIL#${id}`, sk: 'EMAIL' });
const teamEmailsPartition = (teamId: string) => `TEAM#${teamId}#EMAILS`;

/** An email sent from an inbox: the headers that thread it and where its replies will land. */
export interface EmailThreading {
  inbox_id: string;
  thread_id: string;
  rfc_message_id: string;
  in_reply_to: string | null;
  references: string[];
}

/** What the sender needs beyond the public view. */
export interface StoredEmail extends Email {
  threading: EmailThreading | null;
  /** Where the content is in S3; null when it travels in the send job. */
  payload_key: string | null;
  list_unsubscribe: boolean;
  status_rank: number;
  lease_until: number | null;
  recipient_state: Record<string, { status: string; rank: number; reason: string | null }>;
  /** When SES accepted it (set by the sender, or by SES's Send event for a send the sender could not confirm). */
  sent_at: string | null;
  counted: Set<string>;
  /** Timeline entries stored by the status writes that caused them. */
  timeline: TimelineEntry[];
}

/**
 * A timeline entry kept on the email item, as small as it can be (an item over 1 KB costs two write units a
 * write): its dedupe key and what the timeline shows, less what the email tells. `detail.recipients` is left
 * out when they are all the mailed recipients, and `recipient` always (it is the one of `detail.recipients`).
 */
interface TimelineEntry {
  key: string;
  type: string;
  at: string;
  detail: Record<string, unknown> & { recipients?: string[] };
}

function compactEntry(event: EmailEvent & { detail: { recipients: string[] } }, dedupeKey: string, mailed: string[]): TimelineEntry {
  const { recipients, ...detail } = event.detail;
  const everyone = recipients.length === mailed.length && recipients.every((address) => mailed.includes(address));
  return { key: dedupeKey, type: event.type, at: event.at, detail: everyone ? detail : { ...detail, recipients } };
}

function expandEntry(entry: TimelineEntry, email: StoredEmail): EmailEvent {
  const recipients = entry.detail.recipients ?? mailedRecipients(email);
  return { type: entry.type, at: entry.at, recipient: recipients.length === 1 ? recipients[0]! : null, detail: { ...entry.detail, recipients } };
}

export type NewEmail = Omit<Email, 'ses_message_id' | 'error' | 'updated_at'> & { payload_key: string | null; list_unsubscribe: boolean; threading: EmailThreading | null };

/**
 * Attributes an email item leaves out while they hold their default, put back when read: every write of an
 * item over 1 KB costs two units, and a delivered email's item sits close to that line.
 */
const itemDefaults = () => ({ cc: [] as string[], bcc: [] as string[], reply_to: [] as string[], tracking: { opens: false, clicks: false }, list_unsubscribe: false });

function withoutDefaults<T extends object>(item: T): Partial<T> {
  const defaults = itemDefaults() as Record<string, unknown>;
  return Object.fromEntries(Object.entries(item).filter(([name, value]) => !(name in defaults) || JSON.stringify(value) !== JSON.stringify(defaults[name]))) as Partial<T>;
}

function toStored(item: Record<string, unknown>): StoredEmail {
  const i = item as unknown as StoredEmail;
  return {
    ...itemDefaults(),
    ...i,
    template: i.template ?? null,
    scheduled_at: i.scheduled_at ?? null,
    ses_message_id: i.ses_message_id ?? null,
    error: i.error ?? null,
    lease_until: i.lease_until ?? null,
    recipient_state: i.recipient_state ?? {},
    threading: i.threading ?? null,
    sent_at: i.sent_at ?? null,
    counted: new Set(i.counted ?? []),
    timeline: i.timeline ?? [],
  };
}

/** The API view: recipients carry their latest delivery status. */
export function publicEmail(stored: StoredEmail): Email {
  const recipients: RecipientOutcome[] = stored.recipients.map((r) => {
    const state = stored.recipient_state[r.email];
    return state && r.status !== 'suppressed' ? { ...r, status: state.status, reason: state.reason } : r;
  });
  const { id, team_id, status, from, to, cc, bcc, reply_to, subject, tags, template, tracking, scheduled_at, ses_message_id, error, created_at, updated_at } = stored;
  return { id, team_id, status, from, to, cc, bcc, reply_to, subject, tags, recipients, template, tracking, scheduled_at, ses_message_id, error, created_at, updated_at };
}

/**
 * `freshId`: the id was generated for this email just now, so no other write can hold it: the put needs no
 * condition and goes out with the request's other puts (putItem). Under an id the caller chose (a campaign's
 * deterministic ids) the put is conditional: it never replaces an email already created under that id.
 */
export async function createEmail(email: NewEmail, options: { freshId: boolean }): Promise<StoredEmail> {
  const item = {
    ...email,
    ses_message_id: null,
    error: null,
    updated_at: email.created_at,
    status_rank: STATUS_RANK[email.status],
    lease_until: null,
    recipient_state: {},
    // Flat, lowercased copy for the recipient filter (contains() on a list of strings).
    recipient_addresses: email.recipients.map((r) => r.email),
  };
  const put = newOwnedItemPut(emailKey(email.id), { partition: teamEmailsPartition(email.team_id), sortKey: email.id, index: 'emailsByTeam' }, withoutDefaults(item));
  if (options.freshId) await putItem(put.Item);
  else await documentClient.send(new PutCommand(put));
  return toStored(item);
}

export async function findEmail(id: string): Promise<StoredEmail | undefined> {
  const { Item } = await documentClient.send(new GetCommand({ TableName: tableName(), Key: emailKey(id), ConsistentRead: true }));
  return Item ? toStored(Item) : undefined;
}

/** The emails with these ids that exist (consistent BatchGetItem, 100 ids a call): a campaign's deterministic ids, checked at once. */
export async function findEmails(ids: string[]): Promise<StoredEmail[]> {
  return (await batchGetAll(ids.map(emailKey))).map(toStored);
}

export async function getTeamEmail(teamId: string, id: string): Promise<StoredEmail> {
  const email = await findEmail(id);
  if (!email || email.team_id !== teamId) throw notFound('Email');
  return email;
}

/**
 * A team's emails, newest first. The index filters on what it projects (recipients, tags); each page's emails are
 * then read whole in one consistent batch, and the status filter applies to what was read (the index has no status).
 */
export function listTeamEmails(teamId: string, query: ListEmailsQuery): Promise<Page<Email>> {
  const filters: ItemFilter[] = [];
  // recipient_addresses is a flat lowercased copy, so contains() matches a whole address.
  if (query.recipient) filters.push({ path: 'recipient_addresses', op: 'contains', value: query.recipient });
  if (query.tag) {
    const [key, value] = query.tag.split(':') as [string, string];
    filters.push({ path: ['tags', key], op: '=', value });
  }
  return listCollection(
    { partition: teamEmailsPartition(teamId), index: 'emailsByTeam', timeRange: { kind: 'email', since: query.since, until: query.until }, filters },
    {
      limit: query.limit,
      cursor: query.cursor,
      pageItems: async (entries) => (await itemsOfIndexEntries(entries)).filter((item) => !query.status || item.status === query.status),
    },
    (item) => publicEmail(toStored(item)),
  );
}

const eventSortKey = (at: string, dedupeKey: string) => `EVENT#${at}#${dedupeKey}`;

/** Appends to the timeline once per dedupe key (SES may deliver an event twice); true if it was new. */
export async function appendEmailEvent(emailId: string, event: EmailEvent, dedupeKey: string): Promise<boolean> {
  try {
    await documentClient.send(
      new PutCommand({
        TableName: tableName(),
        Item: withoutNulls({ pk: `EMAIL#${emailId}`, sk: eventSortKey(event.at, dedupeKey), ...event }),
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}

/** The addresses the email went (or would have gone) to: every recipient not suppressed at send time. */
export const mailedRecipients = (email: Pick<StoredEmail, 'recipients'>) => email.recipients.filter((r) => r.status !== 'suppressed').map((r) => r.email);

/** Whether the email item already holds the timeline entry of this dedupe key (a redelivered event whose status write applied). */
export const hasTimelineEntry = (email: StoredEmail, dedupeKey: string) => email.timeline.some((entry) => entry.key === dedupeKey);

/**
 * The email's timeline, oldest first: its acceptance and send (from the email item), the entries its status writes
 * stored on it, and every event item; entries and items in event-item key order, as if all were items, once each.
 */
export async function emailTimeline(email: StoredEmail): Promise<EmailEvent[]> {
  const bySortKey = new Map<string, EmailEvent>([
    ...email.timeline.map((entry) => [eventSortKey(entry.at, entry.key), expandEntry(entry, email)] as const),
    ...(await queryAllWithPrefix(`EMAIL#${email.id}`, 'EVENT#')).map((item) => [item.sk as string, item as EmailEvent] as const),
  ]);
  const stored = [...bySortKey.keys()].sort().map((sortKey) => {
    const { type, at, recipient, detail } = bySortKey.get(sortKey)!;
    return { type, at, recipient: recipient ?? null, detail: detail ?? {} };
  });
  const derived: EmailEvent[] = [
    { type: email.scheduled_at ? 'scheduled' : 'queued', at: email.created_at, recipient: null, detail: email.scheduled_at ? { scheduled_at: email.scheduled_at } : {} },
  ];
  if (email.sent_at) {
    const mailed = mailedRecipients(email);
    derived.push({ type: 'sent', at: email.sent_at, recipient: mailed.length === 1 ? mailed[0]! : null, detail: { ses_message_id: email.ses_message_id, recipients: mailed } });
  }
  // A stable sort keeps the acceptance first when SES's clock puts an event at the same instant.
  return [...derived, ...stored].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
}

/**
 * Moves the email to a status only if that outranks where it is (SES events arrive out of order), in one
 * conditional write that also proves the email exists and belongs to `teamId` (no read first):
 * `applied`, `kept` (it already got further), or `unknown`. Applied, the email comes back as it was before the
 * write with only its status, error and `extra` fields moved (the write returns the old item, whose `counted` set
 * tells which claimed tokens are new): its recipient states, timeline and lease are not this write's.
 */
export async function advanceEmailStatus(
  emailId: string,
  teamId: string,
  change: {
    status: EmailStatus;
    rank: number;
    extra?: Record<string, unknown>;
    error?: { code: string; message: string };
    claim?: string[];
    /**
     * Recipients the event is about, moved to the same status in the same write. Safe because no recipient
     * ranks above its email: when the email moves up, each of them does too. When the email does not move,
     * the caller moves them one by one (advanceRecipientStatus).
     */
    recipients?: { addresses: string[]; reason: string | null };
    /**
     * The event's timeline entry, stored on the email by this write if it applies (once: a redelivered event
     * finds the status moved already). Not applied, the caller stores it as an event item unless it is here.
     * `mailed`: the addresses the email went to (SES's destination), which the entry need not repeat.
     */
    timelineEntry?: { event: EmailEvent & { detail: { recipients: string[] } }; dedupeKey: string; mailed: string[] };
  },
): Promise<{ outcome: 'applied' | 'kept' | 'unknown'; email?: StoredEmail; claimed: string[] }> {
  const sets = ['#status = :status', 'status_rank = :rank', 'updated_at = :now'];
  const values: Record<string, unknown> = { ':status': change.status, ':rank': change.rank, ':now': nowIso(), ':team': teamId };
  const names: Record<string, string> = { '#status': 'status' };
  for (const [field, value] of Object.entries({ ...change.extra, ...(change.error && { error: change.error }) })) {
    names[`#x_${field}`] = field;
    sets.push(`#x_${field} = :x_${field}`);
    values[`:x_${field}`] = value;
  }
  const claim = change.claim ?? [];
  if (claim.length) values[':claim'] = new Set(claim);
  if (change.recipients?.addresses.length) {
    values[':recipientState'] = { status: change.status, rank: change.rank, reason: change.recipients.reason };
    change.recipients.addresses.forEach((address, i) => {
      names[`#r${i}`] = address;
      sets.push(`recipient_state.#r${i} = :recipientState`);
    });
  }
  if (change.timelineEntry) {
    // A list, not a map keyed by the dedupe key: if_not_exists() can create it on an email from before it existed.
    const { event, dedupeKey, mailed } = change.timelineEntry;
    sets.push('timeline = list_append(if_not_exists(timeline, :noEntries), :entry)');
    values[':noEntries'] = [];
    values[':entry'] = [compactEntry(event, dedupeKey, mailed)];
  }
  // A failure may also close a send the sender could not confirm (`sending`, see deliver-email.ts).
  const rankRule = change.status === 'failed' ? '(status_rank < :rank OR #status = :sending)' : 'status_rank < :rank';
  if (change.status === 'failed') values[':sending'] = 'sending';
  try {
    const { Attributes } = await documentClient.send(
      new UpdateCommand({
        TableName: tableName(),
        Key: emailKey(emailId),
        // Past `sending` the lease means nothing; its bytes would count in every later write.
        UpdateExpression: `SET ${sets.join(', ')}${claim.length ? ' ADD counted :claim' : ''} REMOVE lease_until`,
        ConditionExpression: `attribute_exists(pk) AND team_id = :team AND ${rankRule}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_OLD',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    const old = toStored(Attributes!);
    const email = { ...old, ...change.extra, status: change.status, status_rank: change.rank, ...(change.error && { error: change.error }) } as StoredEmail;
    return { outcome: 'applied', email, claimed: newTokens(claim, old.counted) };
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    const old = error.Item ? unmarshall(error.Item) : undefined;
    return old?.team_id === teamId ? { outcome: 'kept', email: toStored(old), claimed: [] } : { outcome: 'unknown', claimed: [] };
  }
}

/** The claimed tokens the `counted` set held none of before the write that added them: this caller's to count. */
const newTokens = (claimed: string[], countedBefore: Iterable<string> | undefined) => {
  const before = new Set(countedBefore ?? []);
  return claimed.filter((token) => !before.has(token));
};

/** Adds `tokens` to the email's `counted` set; answers those that were not there yet (to be counted now, by this caller only). */
export async function claimCounts(emailId: string, tokens: string[]): Promise<string[]> {
  if (!tokens.length) return [];
  const { Attributes } = await documentClient.send(
    new UpdateCommand({
      TableName: tableName(),
      Key: emailKey(emailId),
      UpdateExpression: 'ADD counted :claim',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: { ':claim': new Set(tokens) },
      ReturnValues: 'UPDATED_OLD',
    }),
  );
  return newTokens(tokens, Attributes?.counted);
}

/** Same rule per recipient: a late event never downgrades what a recipient's mail already reached. */
export function advanceRecipientStatus(emailId: string, recipient: string, status: string, rank: number, reason: string | null): Promise<boolean> {
  return conditionalUpdate({
    TableName: tableName(),
    Key: emailKey(emailId),
    UpdateExpression: 'SET recipient_state.#r = :state',
    ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(recipient_state.#r) OR recipient_state.#r.#rank < :rank)',
    ExpressionAttributeNames: { '#r': recipient, '#rank': 'rank' },
    ExpressionAttributeValues: { ':state': { status, rank, reason }, ':rank': rank },
  });
}

/**
 * Takes the email for sending in one conditional write, with no read first: only a queued email of `teamId`, or a
 * scheduled one due by `dueBy`, can be claimed, so a redelivered queue message never sends twice and an early one
 * never sends ahead of time. The lease tells a later delivery that a sender is (or was) on it. Answers the claimed
 * email or, when it could not be claimed, the email as it is (none: there is no such email).
 */
export async function claimForSending(
  emailId: string,
  teamId: string,
  leaseUntil: number,
  dueBy: number,
): Promise<{ claimed: true; email: StoredEmail } | { claimed: false; email?: StoredEmail }> {
  try {
    const { Attributes } = await documentClient.send(
      new UpdateCommand({
        TableName: tableName(),
        Key: emailKey(emailId),
        UpdateExpression: 'SET #status = :sending, status_rank = :rank, lease_until = :lease, updated_at = :now',
        // scheduled_at is stored as toISOString() gives it, so comparing strings compares instants.
        ConditionExpression: 'team_id = :team AND (#status = :queued OR (#status = :scheduled AND scheduled_at <= :dueBy))',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':sending': 'sending',
          ':rank': STATUS_RANK.sending,
          ':lease': leaseUntil,
          ':team': teamId,
          ':queued': 'queued',
          ':scheduled': 'scheduled',
          ':dueBy': nowIso(dueBy),
          ':now': nowIso(),
        },
        ReturnValues: 'ALL_NEW',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    return { claimed: true, email: toStored(Attributes!) };
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    return { claimed: false, email: error.Item ? toStored(unmarshall(error.Item)) : undefined };
  }
}

/** Gives a claimed email back (SES throttled or was unavailable) so the retry can claim it again. */
export function releaseClaim(emailId: string): Promise<boolean> {
  return conditionalUpdate({
    TableName: tableName(),
    Key: emailKey(emailId),
    UpdateExpression: 'SET #status = :queued, status_rank = :rank, updated_at = :now REMOVE lease_until',
    ConditionExpression: '#status = :sending',
    ExpressionAttributeNames: { '#status': 'status' },
    ExpressionAttributeValues: { ':queued': 'queued', ':rank': STATUS_RANK.queued, ':sending': 'sending', ':now': nowIso() },
  });
}

/** Cancels a scheduled email that has not been released to the sender yet; `canceled` says if this call did. */
export async function cancelScheduledEmail(teamId: string, id: string): Promise<{ email: StoredEmail; canceled: boolean }> {
  const email = await getTeamEmail(teamId, id);
  const canceled = await conditionalUpdate({
    TableName: tableName(),
    Key: emailKey(id),
    UpdateExpression: 'SET #status = :canceled, status_rank = :rank, updated_at = :now',
    ConditionExpression: '#status = :scheduled',
    ExpressionAttributeNames: { '#status': 'status' },
    ExpressionAttributeValues: { ':canceled': 'canceled', ':rank': STATUS_RANK.canceled, ':scheduled': 'scheduled', ':now': nowIso() },
  });
  return canceled ? { email: { ...email, status: 'canceled', status_rank: STATUS_RANK.canceled }, canceled } : { email, canceled };
}

/**
 * Stores SES's MessageId and moves the email to `sent`, unless an SES event already moved it further; claims
 * `claim` (count tokens) in the same write and answers the ones that were new.
 */
export async function recordSent(
  emailId: string,
  teamId: string,
  sesMessageId: string,
  sentAt: string,
  claim: string[],
): Promise<{ outcome: 'applied' | 'kept' | 'unknown'; email?: StoredEmail; claimed: string[] }> {
  const advanced = await advanceEmailStatus(emailId, teamId, { status: 'sent', rank: STATUS_RANK.sent, extra: { ses_message_id: sesMessageId, sent_at: sentAt }, claim });
  if (advanced.outcome !== 'kept') return advanced;
  // SES's Send event may have recorded its own sent_at first: the earlier one stays.
  const { Attributes } = await documentClient.send(
    new UpdateCommand({
      TableName: tableName(),
      Key: emailKey(emailId),
      UpdateExpression: `SET ses_message_id = :id, sent_at = if_not_exists(sent_at, :at)${claim.length ? ' ADD counted :claim' : ''}`,
      ExpressionAttributeValues: { ':id': sesMessageId, ':at': sentAt, ...(claim.length && { ':claim': new Set(claim) }) },
      ReturnValues: 'UPDATED_OLD',
    }),
  );
  return { ...advanced, email: { ...advanced.email!, ses_message_id: sesMessageId, sent_at: advanced.email!.sent_at ?? sentAt }, claimed: newTokens(claim, Attributes?.counted) };
}

/** A permanent failure, recorded at `rank` (see INTERRUPTED_FAILURE_RANK) unless the email already got further. */
export function markFailed(emailId: string, error: { code: string; message: string }, rank = STATUS_RANK.failed): Promise<boolean> {
  return conditionalUpdate({
    TableName: tableName(),
    Key: emailKey(emailId),
    UpdateExpression: 'SET #status = :failed, status_rank = :rank, #error = :error, updated_at = :now REMOVE lease_until',
    ConditionExpression: 'attribute_exists(pk) AND (status_rank < :rank OR #status = :sending)',
    ExpressionAttributeNames: { '#status': 'status', '#error': 'error' },
    ExpressionAttributeValues: { ':failed': 'failed', ':rank': rank, ':error': error, ':now': nowIso(), ':sending': 'sending' },
  });
}
