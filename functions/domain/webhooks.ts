/**
 * Webhook subscriptions as the API exposes them: a team key manages all of its team's webhooks; an inbox key
 * only those filtered to exactly its own inbox (any other webhook answers like one that does not exist).
 */
import { ApiError, notFound } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import type { Principal } from '../shared/http/types.js';
import type { CreateWebhookBody, UpdateWebhookBody, Webhook } from '../schemas/webhooks.js';
import { findInbox } from '../repositories/inboxes.js';
import { allTeamWebhooks, createWebhook, findDeliverableWebhook, getTeamWebhook, listTeamWebhooks, type DeliverableWebhook } from '../repositories/webhooks.js';
import type { Page } from '../repositories/table.js';

const ownInbox = (principal: Principal) => (principal.kind === 'inbox' ? principal.inboxId : undefined);

const isOwnedBy = (webhook: Webhook, inboxId: string) => webhook.inbox_ids?.length === 1 && webhook.inbox_ids[0] === inboxId;

/** The inbox filter a change may set: an inbox key's is always its own inbox; a team key's must name its own inboxes. */
async function checkedInboxFilter(principal: Principal, inboxIds: string[] | null | undefined): Promise<string[] | null | undefined> {
  const inboxId = ownInbox(principal);
  if (inboxId) {
    if (inboxIds !== undefined && !(inboxIds?.length === 1 && inboxIds[0] === inboxId)) {
      throw new ApiError('validation_error', `An inbox key manages webhooks of its own inbox only: inbox_ids must be ["${inboxId}"] (or left out).`, {
        param: 'inbox_ids',
      });
    }
    return [inboxId];
  }
  for (const id of inboxIds ?? []) {
    const inbox = await findInbox(id);
    if (!inbox || inbox.team_id !== principal.teamId) throw new ApiError('validation_error', `Inbox ${id} does not exist in this team.`, { param: 'inbox_ids' });
  }
  return inboxIds;
}

export async function createTeamWebhook(principal: Principal, body: CreateWebhookBody): Promise<{ webhook: Webhook; secret: string }> {
  // On create, null is the default (no filter), so for an inbox key it means "left out".
  const inboxIds = await checkedInboxFilter(principal, body.inbox_ids ?? undefined);
  return createWebhook(principal.teamId!, newId('webhook'), { ...body, inbox_ids: inboxIds ?? null });
}

export async function webhookFor(principal: Principal, id: string): Promise<Webhook> {
  const webhook = await getTeamWebhook(principal.teamId!, id);
  const inboxId = ownInbox(principal);
  if (inboxId && !isOwnedBy(webhook, inboxId)) throw notFound('Webhook');
  return webhook;
}

export async function listWebhooksFor(principal: Principal, options: { limit: number; cursor?: string }): Promise<Page<Webhook>> {
  const inboxId = ownInbox(principal);
  if (!inboxId) return listTeamWebhooks(principal.teamId!, options);
  // A team has at most MAX_WEBHOOKS_PER_TEAM webhooks: an inbox key's share comes as one page.
  const own = (await allTeamWebhooks(principal.teamId!)).filter((webhook) => isOwnedBy(webhook, inboxId));
  return { data: own, next_cursor: null };
}

/**
 * Before a write whose repository call already refuses other teams' webhooks: only an inbox key needs the
 * webhook read, to check it is its inbox's.
 */
export async function checkInboxKeyOwns(principal: Principal, id: string): Promise<void> {
  if (ownInbox(principal)) await webhookFor(principal, id);
}

/** The webhook with its signing secrets, read once, under the same access rule as webhookFor. */
export async function deliverableWebhookFor(principal: Principal, id: string): Promise<DeliverableWebhook> {
  const webhook = await findDeliverableWebhook(id);
  const inboxId = ownInbox(principal);
  if (!webhook || webhook.team_id !== principal.teamId || (inboxId && !isOwnedBy(webhook, inboxId))) throw notFound('Webhook');
  return webhook;
}

export async function checkedChanges(principal: Principal, id: string, changes: UpdateWebhookBody): Promise<UpdateWebhookBody> {
  await checkInboxKeyOwns(principal, id);
  if (changes.inbox_ids === undefined) return changes;
  return { ...changes, inbox_ids: await checkedInboxFilter(principal, changes.inbox_ids) };
}
