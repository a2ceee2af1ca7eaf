/**
 * Campaigns. Access patterns: create, get by id, list a team's newest first, change with optimistic
 * concurrency, read one immutable definition version, and find the active campaigns an event or a list
 * signup concerns (one Query, no scan of the team's campaigns per tracked event).
 *   campaign:   pk CAMPAIGN#<id> sk CAMPAIGN          gsi1pk TEAM#<team>#CAMPAIGNS gsi1sk <id>
 *   definition: pk CAMPAIGN#<id> sk DEFINITION#<n>    steps (never changed once written)
 *   routing:    pk CAMPAIGNEVENT#<team>#<subject> sk TRIGGER#<id> | GOAL#<id>
 *               subject = event:<name> | list:<list id>; present only while a triggered campaign is active,
 *               carrying what enrolment needs (name, definition version, re-entry) so it reads nothing else.
 */
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { documentClient } from '../shared/clients.js';
import { ApiError, notFound } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import {
  resolveSteps,
  type Campaign,
  type CampaignStatus,
  type CreateCampaignBody,
  type ResolvedStep,
  type Trigger,
  type UpdateCampaignBody,
} from '../schemas/campaigns.js';
import { formatAddress, type Address } from '../schemas/emails.js';
import { listCollection, newOwnedItemPut, nowIso, queryAll, tableName, versionedUpdate, versionedUpdateItem, withoutNulls, type Page, type VersionedUpdateInput, getItem } from './table.js';
import { staleVersion, teamIsActiveCondition } from './teams.js';

export const campaignKey = (id: string) => ({ pk: `CAMPAIGN#${id}`, sk: 'CAMPAIGN' });
const definitionKey = (id: string, version: number) => ({ pk: `CAMPAIGN#${id}`, sk: `DEFINITION#${String(version).padStart(6, '0')}` });
const teamCampaignsPartition = (teamId: string) => `TEAM#${teamId}#CAMPAIGNS`;
const routingPartition = (teamId: string, subject: string) => `CAMPAIGNEVENT#${teamId}#${subject}`;

export type RoutingSubject = { event: string } | { list_id: string };
const subjectKey = (subject: RoutingSubject | Trigger) => ('event' in subject && subject.event !== undefined ? `event:${subject.event}` : `list:${(subject as { list_id: string }).list_id}`);

/** What an active campaign's routing item tells enrolment and goal handling. */
export interface CampaignRoute {
  role: 'trigger' | 'goal';
  campaign_id: string;
  name: string;
  definition_version: number;
  allow_reentry: boolean;
}

const formatOptional = (a: Address | undefined | null) => (a ? formatAddress(a) : null);

function toCampaign(raw: Record<string, unknown>): Campaign {
  const i = raw as Record<string, any>;
  return {
    id: i.id,
    kind: i.kind,
    name: i.name,
    status: i.status,
    trigger: i.trigger ?? null,
    steps: i.steps ?? null,
    goal_event: i.goal_event ?? null,
    allow_reentry: i.allow_reentry ?? false,
    definition_version: i.definition_version ?? 0,
    segment_id: i.segment_id ?? null,
    template_id: i.template_id ?? null,
    from: i.from ?? null,
    subject: i.subject ?? null,
    reply_to: i.reply_to ?? null,
    progress: i.kind === 'broadcast' ? { total: i.progress?.total ?? null, queued: i.progress?.queued ?? 0, sent: i.progress?.sent ?? 0, failed: i.progress?.failed ?? 0, skipped: i.progress?.skipped ?? 0 } : null,
    launched_at: i.launched_at ?? null,
    created_at: i.created_at,
    updated_at: i.updated_at,
    version: i.version,
  };
}

/** The raw stored item (with team_id and internal fields such as the broadcast checkpoint). */
export async function findCampaignItem(id: string): Promise<Record<string, unknown> | undefined> {
  return getItem(campaignKey(id));
}

export async function getTeamCampaign(teamId: string, id: string): Promise<Campaign> {
  const item = await findCampaignItem(id);
  if (!item || item.team_id !== teamId) throw notFound('Campaign');
  return toCampaign(item);
}

export { toCampaign };

export async function createCampaign(teamId: string, body: CreateCampaignBody): Promise<Campaign> {
  const id = newId('campaign');
  const now = nowIso();
  const common = { id, team_id: teamId, kind: body.kind, name: body.name, status: 'draft', created_at: now, updated_at: now, version: 1 };
  const item =
    body.kind === 'triggered'
      ? { ...common, trigger: body.trigger, steps: resolveSteps(body.steps), goal_event: body.goal_event ?? null, allow_reentry: body.allow_reentry, definition_version: 1 }
      : {
          ...common,
          segment_id: body.segment_id,
          template_id: body.template_id,
          from: formatAddress(body.from),
          subject: body.subject ?? null,
          reply_to: formatOptional(body.reply_to),
          definition_version: 1,
          progress: { total: null, queued: 0, sent: 0, failed: 0, skipped: 0 },
        };
  const writes: object[] = [teamIsActiveCondition(teamId), { Put: newOwnedItemPut(campaignKey(id), { partition: teamCampaignsPartition(teamId), sortKey: id }, item) }];
  if ('steps' in item) writes.push({ Put: { TableName: tableName(), Item: { ...definitionKey(id, 1), steps: item.steps } } });
  try {
    await documentClient.send(new TransactWriteCommand({ TransactItems: writes as never }));
  } catch (error) {
    if (error instanceof TransactionCanceledException && error.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed') throw notFound('Team');
    throw error;
  }
  return toCampaign(withoutNulls(item));
}

export function listCampaigns(teamId: string, query: { limit: number; cursor?: string; kind?: string; status?: string }): Promise<Page<Campaign>> {
  const filters = [
    ...(query.kind ? [{ path: 'kind', op: '=' as const, value: query.kind }] : []),
    ...(query.status ? [{ path: 'status', op: '=' as const, value: query.status }] : []),
  ];
  return listCollection({ partition: teamCampaignsPartition(teamId), filters }, query, toCampaign);
}

/** The steps of one definition version (immutable, so callers may cache them). */
export async function getDefinition(campaignId: string, version: number): Promise<ResolvedStep[]> {
  // Consistent: a definition written by a save a moment ago (then an enrolment at once) must be found.
  const item = await getItem(definitionKey(campaignId, version));
  if (!item) throw new Error(`Campaign ${campaignId} has no definition version ${version}`);
  return item.steps as ResolvedStep[];
}

/** The routing items of an active triggered campaign. */
function routingItems(teamId: string, c: Campaign): Record<string, unknown>[] {
  if (c.kind !== 'triggered' || c.status !== 'active' || !c.trigger) return [];
  const route = { campaign_id: c.id, name: c.name, definition_version: c.definition_version, allow_reentry: c.allow_reentry };
  const items = [{ pk: routingPartition(teamId, subjectKey(c.trigger)), sk: `TRIGGER#${c.id}`, role: 'trigger', ...route }];
  if (c.goal_event) items.push({ pk: routingPartition(teamId, subjectKey({ event: c.goal_event })), sk: `GOAL#${c.id}`, role: 'goal', ...route });
  return items;
}

/** The public fields of `after` that differ from `before` (null: removed), as stored. */
function changedFields(before: Campaign, after: Campaign): Record<string, unknown> {
  return Object.fromEntries(Object.entries(after).filter(([field, value]) => field !== 'version' && JSON.stringify(value) !== JSON.stringify(before[field as keyof Campaign])));
}

/**
 * Writes the change from `before` to `after` as an update of the changed fields only (internal fields such
 * as a broadcast's checkpoint are never touched), guarded by `guard` (a PATCH's version, or a lifecycle
 * change's starting status), and in the same transaction a new definition version when the steps changed and
 * the routing items in step with the status. A campaign without routing or definition writes (broadcasts,
 * drafts) is one UpdateItem that answers with the stored result.
 */
async function saveCampaign(teamId: string, before: Campaign, after: Campaign, guard: { version: number } | { status: CampaignStatus }, extra: Record<string, unknown> = {}): Promise<Campaign> {
  const byStatus = 'status' in guard;
  const input: VersionedUpdateInput = {
    key: campaignKey(before.id),
    changes: { ...changedFields(before, after), ...extra },
    condition: byStatus
      ? { expression: 'team_id = :team AND #status = :from', names: { '#status': 'status' }, values: { ':team': teamId, ':from': guard.status } }
      : { expression: 'team_id = :team', names: {}, values: { ':team': teamId } },
    expectedVersion: byStatus ? undefined : guard.version,
  };
  const oldRoutes = routingItems(teamId, before);
  const newRoutes = routingItems(teamId, after);
  const newKeys = new Set(newRoutes.map((r) => `${r.pk}\n${r.sk}`));
  const writes: object[] = [
    ...oldRoutes.filter((r) => !newKeys.has(`${r.pk}\n${r.sk}`)).map((r) => ({ Delete: { TableName: tableName(), Key: { pk: r.pk, sk: r.sk } } })),
    ...newRoutes.map((r) => ({ Put: { TableName: tableName(), Item: r } })),
  ];
  if (after.definition_version !== before.definition_version) {
    writes.push({ Put: { TableName: tableName(), Item: { ...definitionKey(after.id, after.definition_version), steps: after.steps }, ConditionExpression: 'attribute_not_exists(pk)' } });
  }
  const changedMeanwhile = () =>
    byStatus ? new ApiError('conflict', 'This campaign changed status at the same time; fetch it again and retry.', { param: 'id', retryable: true }) : staleVersion();
  if (!writes.length) {
    const result = await versionedUpdate(input);
    if (!result.ok) throw changedMeanwhile();
    return toCampaign(result.item);
  }
  try {
    await documentClient.send(new TransactWriteCommand({ TransactItems: [{ Update: versionedUpdateItem(input) }, ...writes] as never }));
  } catch (error) {
    if (error instanceof TransactionCanceledException) throw changedMeanwhile();
    throw error;
  }
  // Triggered campaigns have no writer but the API, so the stored version is the one read plus one.
  return { ...after, version: before.version + 1 };
}

const TRIGGERED_ONLY = ['trigger', 'steps', 'goal_event', 'allow_reentry'] as const;
const BROADCAST_ONLY = ['segment_id', 'template_id', 'from', 'subject', 'reply_to'] as const;

/** A PATCH: fields of the campaign's kind only; broadcasts can change only before they start. */
export async function updateCampaign(teamId: string, id: string, changes: UpdateCampaignBody, expectedVersion?: number): Promise<Campaign> {
  const before = await getTeamCampaign(teamId, id);
  if (expectedVersion !== undefined && expectedVersion !== before.version) throw staleVersion();
  const foreign = (before.kind === 'triggered' ? BROADCAST_ONLY : TRIGGERED_ONLY).filter((field) => changes[field] !== undefined);
  if (foreign.length) {
    throw new ApiError('validation_error', `${foreign.join(', ')} ${foreign.length > 1 ? 'do' : 'does'} not apply to a ${before.kind} campaign.`, {
      param: foreign[0],
      errors: foreign.map((field) => ({ field, code: 'not_applicable', message: `Not a field of ${before.kind} campaigns.` })),
    });
  }
  if (before.status === 'archived' || (before.kind === 'broadcast' && before.status !== 'draft')) {
    throw new ApiError('conflict', `A ${before.status} ${before.kind} campaign can no longer be changed.`, { param: 'id' });
  }
  const steps = changes.steps ? resolveSteps(changes.steps) : undefined;
  const stepsChanged = steps !== undefined && JSON.stringify(steps) !== JSON.stringify(before.steps);
  const after: Campaign = {
    ...before,
    ...(changes.name !== undefined && { name: changes.name }),
    ...(changes.trigger !== undefined && { trigger: changes.trigger }),
    ...(stepsChanged && { steps: steps as Campaign['steps'], definition_version: before.definition_version + 1 }),
    ...(changes.goal_event !== undefined && { goal_event: changes.goal_event }),
    ...(changes.allow_reentry !== undefined && { allow_reentry: changes.allow_reentry }),
    ...(changes.segment_id !== undefined && { segment_id: changes.segment_id }),
    ...(changes.template_id !== undefined && { template_id: changes.template_id }),
    ...(changes.from !== undefined && { from: formatAddress(changes.from) }),
    ...(changes.subject !== undefined && { subject: changes.subject }),
    ...(changes.reply_to !== undefined && { reply_to: formatOptional(changes.reply_to) }),
    updated_at: nowIso(),
  };
  return saveCampaign(teamId, before, after, { version: expectedVersion ?? before.version });
}

/** Which status changes each lifecycle action makes (by kind). */
const TRANSITIONS: Record<string, Partial<Record<Campaign['kind'], { from: CampaignStatus[]; to: CampaignStatus }>>> = {
  launch: { triggered: { from: ['draft'], to: 'active' }, broadcast: { from: ['draft'], to: 'sending' } },
  pause: { triggered: { from: ['active'], to: 'paused' }, broadcast: { from: ['sending'], to: 'paused' } },
  resume: { triggered: { from: ['paused'], to: 'active' }, broadcast: { from: ['paused'], to: 'sending' } },
  archive: { triggered: { from: ['draft', 'active', 'paused'], to: 'archived' }, broadcast: { from: ['draft', 'completed', 'canceled'], to: 'archived' } },
  cancel: { broadcast: { from: ['sending', 'paused'], to: 'canceled' } },
  complete: { broadcast: { from: ['sending'], to: 'completed' } },
};
export type CampaignAction = keyof typeof TRANSITIONS;

/**
 * Applies a lifecycle action. `extra` is stored with the change (e.g. a broadcast's starting checkpoint).
 * Returns the campaign as it is now; an action that does not apply to the current status is a 409.
 */
export async function transitionCampaign(
  teamId: string,
  id: string,
  action: CampaignAction,
  extra: Record<string, unknown> = {},
  current?: Campaign,
): Promise<{ before: Campaign; campaign: Campaign }> {
  const before = current ?? (await getTeamCampaign(teamId, id));
  const rule = TRANSITIONS[action]![before.kind];
  if (!rule) throw new ApiError('validation_error', `A ${before.kind} campaign cannot be ${action === 'cancel' ? 'canceled' : `${action}d`}.`, { param: 'id' });
  if (!rule.from.includes(before.status)) {
    throw new ApiError('conflict', `This campaign is ${before.status}; ${action} applies to ${rule.from.join(' or ')} campaigns.`, { param: 'id', details: { status: before.status } });
  }
  const now = nowIso();
  const after: Campaign = { ...before, status: rule.to, ...(action === 'launch' && { launched_at: now }), updated_at: now };
  // Guarded by the status it starts from, not the version: a broadcast page moving its checkpoint meanwhile is no conflict.
  return { before, campaign: await saveCampaign(teamId, before, after, { status: before.status }, extra) };
}

/** The active campaigns that an event (or a list signup) triggers, and those whose goal it is: one Query. */
export async function campaignRoutes(teamId: string, subject: RoutingSubject): Promise<CampaignRoute[]> {
  const items = await queryAll({ KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': routingPartition(teamId, subjectKey(subject)) } });
  return items.map((item) => ({
    role: item.role as CampaignRoute['role'],
    campaign_id: item.campaign_id as string,
    name: item.name as string,
    definition_version: item.definition_version as number,
    allow_reentry: item.allow_reentry as boolean,
  }));
}
