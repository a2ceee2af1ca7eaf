/**
 * Campaign enrolments and the contact's event timeline, both in the contact's partition so that reading a
 * contact with its enrolments is one Query and a GDPR erasure deletes one partition.
 *   enrolment: pk CONTACT#<contact> sk ENROL#<campaign>   gsi1pk CAMPAIGN#<campaign>#ENROLLMENTS gsi1sk <enrolled_at>#<contact>
 *              run (1, 2… on re-entry) and seq (which Step Functions execution of the run is current: a
 *              wait_for_event resumed by its event continues in a new execution) fence stale executions.
 *   event:     pk CONTACT#<contact> sk EVENT#<contactEvent id>   event, data, at, source
 * Sort keys CONTACT < ENROL#… < EVENT#… make "contact + enrolments" one key range without the events.
 */
import { TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { documentClient } from '../shared/clients.js';
import { deterministicId, newId } from '../shared/ids.js';
import type { Contact } from '../schemas/contacts.js';
import type { Enrollment } from '../schemas/campaigns.js';
import type { ContactEvent } from '../schemas/events.js';
import { conditionalUpdate, listCollection, nowIso, queryAll, tableName, type Page, getItem } from './table.js';
import { toContact } from './contacts.js';

const contactPartition = (contactId: string) => `CONTACT#${contactId}`;
const enrollmentKey = (contactId: string, campaignId: string) => ({ pk: contactPartition(contactId), sk: `ENROL#${campaignId}` });
const campaignEnrollmentsPartition = (campaignId: string) => `CAMPAIGN#${campaignId}#ENROLLMENTS`;
/** Distinct event names remembered per contact (the least recently seen are dropped beyond it). */
export const MAX_EVENT_SUMMARY_NAMES = 200;

/** An enrolment as stored: the public fields plus where its execution is. */
export interface StoredEnrollment extends Enrollment {
  team_id: string;
  seq: number;
  /** Where the current execution continues when a wait_for_event's event arrives. */
  resume_step: string | null;
}

function toEnrollment(raw: Record<string, unknown>): StoredEnrollment {
  const i = raw as Record<string, any>;
  return {
    campaign_id: i.campaign_id,
    contact_id: i.contact_id,
    email: i.email,
    team_id: i.team_id,
    status: i.status,
    exit_reason: i.exit_reason ?? null,
    error: i.error ?? null,
    run: i.run,
    seq: i.seq,
    definition_version: i.definition_version,
    current_step: i.current_step ?? null,
    waiting_for: i.waiting_for ?? null,
    resume_step: i.resume_step ?? null,
    wake_at: i.wake_at ?? null,
    enrolled_at: i.enrolled_at,
    updated_at: i.updated_at,
    finished_at: i.finished_at ?? null,
  };
}

export const publicEnrollment = ({ team_id: _team, seq: _seq, resume_step: _resume, ...rest }: StoredEnrollment): Enrollment => rest;

/** The contact and all its enrolments in one Query (undefined contact: deleted or never existed). */
export async function contactWithEnrollments(contactId: string): Promise<{ contact: (Contact & { team_id: string }) | undefined; enrollments: StoredEnrollment[] }> {
  const enrollments: StoredEnrollment[] = [];
  let contact: (Contact & { team_id: string }) | undefined;
  const items = await queryAll({
    KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
    ExpressionAttributeValues: { ':pk': contactPartition(contactId), ':from': 'CONTACT', ':to': 'ENROL#\uffff' },
    ConsistentRead: true,
  });
  for (const item of items) {
    if (item.sk === 'CONTACT') contact = { ...toContact(item), team_id: item.team_id as string };
    else if (String(item.sk).startsWith('ENROL#')) enrollments.push(toEnrollment(item));
  }
  return { contact, enrollments };
}

export async function findEnrollment(contactId: string, campaignId: string): Promise<StoredEnrollment | undefined> {
  const item = await getItem(enrollmentKey(contactId, campaignId));
  return item ? toEnrollment(item) : undefined;
}

/**
 * Enrols the contact unless it already is (or, without re-entry, ever was): one conditional write that
 * creates the enrolment or starts its next run. Returns the enrolment, or undefined when skipped.
 */
export async function enroll(
  teamId: string,
  contact: Contact,
  campaign: { campaign_id: string; definition_version: number; allow_reentry: boolean },
): Promise<StoredEnrollment | undefined> {
  const now = nowIso();
  try {
    const { Attributes } = await documentClient.send(
      new UpdateCommand({
        TableName: tableName(),
        Key: enrollmentKey(contact.id, campaign.campaign_id),
        UpdateExpression:
          'SET #status = :starting, campaign_id = :campaign, contact_id = :contact, email = :email, team_id = :team, definition_version = :dv, seq = :one, enrolled_at = :now, updated_at = :now, gsi1pk = :gpk, gsi1sk = :gsk ADD run :one REMOVE exit_reason, #error, current_step, waiting_for, resume_step, wake_at, finished_at',
        ConditionExpression: 'attribute_not_exists(pk) OR (:reentry = :true AND #status IN (:completed, :exited))',
        ExpressionAttributeNames: { '#status': 'status', '#error': 'error' },
        ExpressionAttributeValues: {
          ':starting': 'starting',
          ':campaign': campaign.campaign_id,
          ':contact': contact.id,
          ':email': contact.email,
          ':team': teamId,
          ':dv': campaign.definition_version,
          ':one': 1,
          ':now': now,
          ':gpk': campaignEnrollmentsPartition(campaign.campaign_id),
          ':gsk': `${now}#${contact.id}`,
          ':reentry': campaign.allow_reentry,
          ':true': true,
          ':completed': 'completed',
          ':exited': 'exited',
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return toEnrollment(Attributes!);
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return undefined;
    throw error;
  }
}

const fence = (e: { run: number; seq: number }) => ({
  expression: '#run = :run AND seq = :seq AND #status IN (:starting, :active)',
  names: { '#run': 'run', '#status': 'status' },
  values: { ':run': e.run, ':seq': e.seq, ':starting': 'starting', ':active': 'active' },
});

/**
 * Records where a run is after a step invocation, if the invocation is still the current one (same run and
 * execution, not finished). False: a newer execution, an exit or a deletion took over; the caller stops.
 */
export function recordProgress(
  e: { contact_id: string; campaign_id: string; run: number; seq: number },
  progress: { current_step: string | null; waiting_for: string | null; resume_step: string | null; wake_at: string | null },
): Promise<boolean> {
  const f = fence(e);
  return conditionalUpdate({
    TableName: tableName(),
    Key: enrollmentKey(e.contact_id, e.campaign_id),
    UpdateExpression: 'SET #status = :active, current_step = :step, waiting_for = :waiting, resume_step = :resume, wake_at = :wake, updated_at = :now',
    ConditionExpression: f.expression,
    ExpressionAttributeNames: f.names,
    ExpressionAttributeValues: { ...f.values, ':step': progress.current_step, ':waiting': progress.waiting_for, ':resume': progress.resume_step, ':wake': progress.wake_at, ':now': nowIso() },
  });
}

/** Ends a run (completed or exited with a reason) if it is still running; `seq` limits it to one execution. */
export function finishEnrollment(
  e: { contact_id: string; campaign_id: string; run: number; seq?: number },
  outcome: { status: 'completed' | 'exited'; reason: Enrollment['exit_reason']; error?: string | null; current_step?: string | null },
): Promise<boolean> {
  const f = fence({ run: e.run, seq: e.seq ?? 0 });
  const expression = e.seq === undefined ? '#run = :run AND #status IN (:starting, :active)' : f.expression;
  const now = nowIso();
  return conditionalUpdate({
    TableName: tableName(),
    Key: enrollmentKey(e.contact_id, e.campaign_id),
    UpdateExpression: 'SET #status = :final, exit_reason = :reason, #error = :error, finished_at = :now, updated_at = :now' + (outcome.current_step !== undefined ? ', current_step = :step' : '') + ' REMOVE waiting_for, resume_step, wake_at',
    ConditionExpression: expression,
    ExpressionAttributeNames: { ...f.names, '#error': 'error' },
    ExpressionAttributeValues: {
      ':run': e.run,
      ...(e.seq !== undefined && { ':seq': e.seq }),
      ':starting': 'starting',
      ':active': 'active',
      ':final': outcome.status,
      ':reason': outcome.reason,
      ':error': outcome.error ?? null,
      ':now': now,
      ...(outcome.current_step !== undefined && { ':step': outcome.current_step }),
    },
  });
}

/**
 * A waited-for event arrived: moves the run to its next execution (seq + 1) at the step after the wait,
 * if it is still waiting for exactly this event. Returns the enrolment as it now is, or undefined.
 */
export async function resumeWaiting(e: StoredEnrollment, event: string): Promise<StoredEnrollment | undefined> {
  const f = fence(e);
  try {
    const { Attributes } = await documentClient.send(
      new UpdateCommand({
        TableName: tableName(),
        Key: enrollmentKey(e.contact_id, e.campaign_id),
        UpdateExpression: 'SET seq = seq + :one, current_step = resume_step, updated_at = :now REMOVE waiting_for, wake_at',
        ConditionExpression: `${f.expression} AND waiting_for = :event`,
        ExpressionAttributeNames: f.names,
        ExpressionAttributeValues: { ...f.values, ':event': event, ':one': 1, ':now': nowIso() },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return toEnrollment(Attributes!);
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return undefined;
    throw error;
  }
}

/**
 * The timer of a wait_for_event fired: takes the run on to the timeout path if the event has not resumed it
 * first (the same condition a resume needs, so exactly one of the two continues).
 */
export function claimWake(e: StoredEnrollment): Promise<boolean> {
  const f = fence(e);
  return conditionalUpdate({
    TableName: tableName(),
    Key: enrollmentKey(e.contact_id, e.campaign_id),
    UpdateExpression: 'SET updated_at = :now REMOVE waiting_for, resume_step',
    ConditionExpression: `${f.expression} AND waiting_for = :event`,
    ExpressionAttributeNames: f.names,
    ExpressionAttributeValues: { ...f.values, ':event': e.waiting_for, ':now': nowIso() },
  });
}

export function listCampaignEnrollments(campaignId: string, query: { limit: number; cursor?: string; status?: string }): Promise<Page<Enrollment>> {
  const filters = query.status ? [{ path: 'status', op: '=' as const, value: query.status }] : [];
  return listCollection({ partition: campaignEnrollmentsPartition(campaignId), filters }, query, (item) => publicEnrollment(toEnrollment(item)));
}

/**
 * Stores a tracked event and folds it into the contact's event summary, in one transaction guarded by the
 * contact's version (a concurrent change is retried by the caller). `seed` makes the event id deterministic,
 * so a retried request stores the event once.
 */
export async function recordContactEvent(
  teamId: string,
  contact: Contact,
  input: { event: string; data: Record<string, unknown>; source: string; at: number; seed?: string },
): Promise<{ stored: boolean; event: ContactEvent; contact: Contact }> {
  const id = input.seed ? deterministicId('contactEvent', input.at, input.seed) : newId('contactEvent', input.at);
  const at = nowIso(input.at);
  const event: ContactEvent = { id, event: input.event, data: input.data, source: input.source, at };
  const previous = contact.event_summary[input.event];
  // A backdated event (an explicit timestamp) moves first_at back but never last_at.
  const first = previous && previous.first_at < at ? previous.first_at : at;
  const last = previous && previous.last_at > at ? previous.last_at : at;
  let summary = { ...contact.event_summary, [input.event]: { count: (previous?.count ?? 0) + 1, first_at: first, last_at: last } };
  const names = Object.keys(summary);
  if (names.length > MAX_EVENT_SUMMARY_NAMES) {
    const keep = names.sort((a, b) => summary[b]!.last_at.localeCompare(summary[a]!.last_at)).slice(0, MAX_EVENT_SUMMARY_NAMES);
    summary = Object.fromEntries(keep.map((name) => [name, summary[name]!]));
  }
  const updated: Contact = { ...contact, event_summary: summary, updated_at: at, version: contact.version + 1 };
  try {
    await documentClient.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: tableName(),
              Item: { pk: contactPartition(contact.id), sk: `EVENT#${id}`, team_id: teamId, ...event },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          {
            Update: {
              TableName: tableName(),
              Key: { pk: contactPartition(contact.id), sk: 'CONTACT' },
              UpdateExpression: 'SET event_summary = :summary, updated_at = :at, #version = :next',
              ConditionExpression: '#version = :expected',
              ExpressionAttributeNames: { '#version': 'version' },
              ExpressionAttributeValues: { ':summary': summary, ':at': at, ':next': updated.version, ':expected': contact.version },
            },
          },
        ],
      }),
    );
    return { stored: true, event, contact: updated };
  } catch (error) {
    if (!(error instanceof TransactionCanceledException)) throw error;
    if (error.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed') return { stored: false, event, contact };
    throw Object.assign(new Error('contact changed'), { name: 'ContactChanged' });
  }
}

/** A contact's events, newest first. */
export function listContactEvents(contactId: string, query: { limit: number; cursor?: string; event?: string }): Promise<Page<ContactEvent>> {
  const filters = query.event ? [{ path: 'event', op: '=' as const, value: query.event }] : [];
  return listCollection(
    { partition: contactPartition(contactId), index: 'table', filters, sortPrefix: 'EVENT#' },
    query,
    (item) => ({ id: item.id as string, event: item.event as string, data: (item.data as Record<string, unknown>) ?? {}, source: item.source as string, at: item.at as string }),
  );
}
