import * as z from 'zod';
import { idOf, ListQuery, pageOf, Timestamp } from './common.js';
import { ApiKeyCreated } from './api-keys.js';
import { defineRoutes } from './contract.js';

export const SendingPause = z
  .object({
    reason: z.enum(['bounce_rate', 'complaint_rate']).describe('Which of the team\'s own rates passed the deployment\'s limit.'),
    message: z.string(),
    bounce_rate: z.number().describe('Bounced sends ÷ sends over the 7 days before the pause.'),
    complaint_rate: z.number().describe('Complaints ÷ sends over the same days.'),
    sent: z.number().int().describe('Sends the rates are computed over.'),
    at: Timestamp,
  })
  .meta({ id: 'SendingPause' });
export type SendingPause = z.infer<typeof SendingPause>;

export const Team = z
  .object({
    id: idOf('team'),
    slug: z.string().describe('Unique across the deployment; free again once the team is deleted.'),
    name: z.string(),
    daily_quota: z.number().int().nullable().describe('Recipients the team may send to per UTC day; 0 stops sending; null means the deployment default.'),
    monthly_quota: z.number().int().nullable().describe('Recipients the team may send to per calendar month (UTC); 0 stops sending; null means the deployment default.'),
    storage_quota_bytes: z.number().int().nullable().describe('Bytes the team may keep in storage; null means the deployment default, 0 unlimited.'),
    sending_paused: SendingPause.nullable().describe(
      'Set when the team\'s own bounce or complaint rate passed the deployment\'s limit: every send is refused (403 `sending_paused`) until the root key sets it back to null.',
    ),
    created_at: Timestamp,
    updated_at: Timestamp,
    version: z.number().int().describe('Increases with every change; the ETag, for If-Match.'),
  })
  .meta({ id: 'Team' });
export type Team = z.infer<typeof Team>;

const Slug = z
  .string()
  .min(2)
  .max(48)
  .regex(/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/, 'Use lowercase letters, digits and inner hyphens.');
const TeamName = z.string().trim().min(1).max(100);

export const CreateTeamBody = z.strictObject({ slug: Slug, name: TeamName });
/** Recipients per period; 0 stops sending; null means the deployment default. */
const Quota = z.number().int().min(0).max(1_000_000_000).nullable();
const StorageQuota = z.number().int().min(0).max(2 ** 50).nullable();
export const UpdateTeamBody = z.strictObject({
  name: TeamName.optional(),
  daily_quota: Quota.optional(),
  monthly_quota: Quota.optional(),
  storage_quota_bytes: StorageQuota.optional(),
  sending_paused: z.null().optional().describe('null resumes the sending of a team paused for its bounce or complaint rate.'),
});
export const TeamParams = z.strictObject({ id: idOf('team') });
export const ListTeamsQuery = ListQuery;

/** Creating a team also creates its first admin key: the only way a team gets its first key. */
export const TeamCreated = Team.extend({ api_key: ApiKeyCreated.describe('The team\'s first key, with the `admin` scope. Its `key` is shown only here.') }).meta({ id: 'TeamCreated' });

export const TeamDeleted = z.object({
  id: idOf('team'),
  deleted: z.literal(true),
  revoked_keys: z.number().int().describe('How many of the team\'s keys this request revoked.'),
});

export const TEAM_ROUTES = defineRoutes({
  'teams.create': {
    summary: 'Create a team',
    description:
      'Creates the team and its first API key (scope `admin`), returned once in `api_key.key`: store it now. ' +
      'That key can create the team\'s other keys. A slug already taken is a 409 `conflict`.',
    body: CreateTeamBody,
    responses: { 201: TeamCreated },
    errors: ['conflict'],
  },
  'teams.list': {
    summary: 'List teams',
    description: 'Every live team of the deployment, newest first.',
    query: ListTeamsQuery,
    responses: { 200: pageOf(Team) },
  },
  'teams.get': {
    summary: 'Get a team',
    params: TeamParams,
    responses: { 200: Team },
  },
  'teams.update': {
    summary: 'Update a team',
    description:
      'Renames the team or sets its quotas. A quota of `null` goes back to the deployment default; a send quota of 0 stops sending, ' +
      'a storage quota of 0 lifts the limit. Honours If-Match.',
    params: TeamParams,
    body: UpdateTeamBody,
    responses: { 200: Team },
    headers: ['If-Match'],
  },
  'teams.delete': {
    summary: 'Delete a team',
    description:
      'The team and its keys stop working at once and its slug is free again. Its data is purged in the background: ' +
      'inboxes are closed and their mail deleted, domains released (SES identities included), storage emptied, webhooks deleted.',
    params: TeamParams,
    responses: { 200: TeamDeleted },
  },
});
