/**
 * A broadcast's checkpoint. It lives on the campaign item (repositories/campaigns.ts: pk CAMPAIGN#<id>
 * sk CAMPAIGN) as the internal map `broadcast`, next to the public `progress` it moves on with:
 *   broadcast.page              the next page of the segment to send (0 first)
 *   broadcast.cursor            where that page starts in the segment (absent for the first page)
 *   broadcast.filter            the segment's condition as it was at launch (later edits do not apply)
 *   broadcast.template_version  the template version pinned at launch
 *   broadcast.id_time           launch time (ms): the time part of the broadcast's deterministic email ids
 *   broadcast.paced_until       when (ms) the emails queued so far will have gone out at the send rate
 *   progress.queued / skipped   emails queued and contacts skipped by the pages done; progress.total at the end
 * Only the holder of the current page moves it on (the update is conditional on `broadcast.page`), and each
 * move bumps the campaign's version. Lifecycle changes (repositories/campaigns.ts transitionCampaign) update
 * only the fields they change, guarded by the status, so they never write back an old checkpoint.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../shared/clients.js';
import type { Campaign } from '../schemas/campaigns.js';
import type { Condition } from '../schemas/conditions.js';
import { campaignKey, findCampaignItem, toCampaign } from './campaigns.js';
import { nowIso, tableName } from './table.js';

export interface BroadcastCheckpoint {
  page: number;
  cursor?: string;
  filter: Condition;
  template_version: number;
  id_time: number;
  paced_until: number;
}

export interface StoredBroadcast {
  team_id: string;
  campaign: Campaign;
  checkpoint: BroadcastCheckpoint;
}

/** The broadcast campaign with its checkpoint; undefined if there is no such campaign or it never launched. */
export async function findBroadcast(campaignId: string): Promise<StoredBroadcast | undefined> {
  const item = await findCampaignItem(campaignId);
  if (!item || item.kind !== 'broadcast' || !item.broadcast) return undefined;
  return { team_id: String(item.team_id), campaign: toCampaign(item), checkpoint: item.broadcast as BroadcastCheckpoint };
}

export interface PageDone {
  /** The page that was sent. */
  page: number;
  /** Where the next page starts; null when this was the last one. */
  next_cursor: string | null;
  /** progress.queued and progress.skipped after this page. */
  queued: number;
  skipped: number;
  paced_until: number;
}

/**
 * Moves the checkpoint past `done.page` if it is still there. The last page also completes the campaign
 * (and sets progress.total), but only while it is `sending`: paused, it completes when resumed. Returns the
 * campaign as it is now, or undefined if another holder moved it on first (or the last page met a pause).
 */
export async function advanceBroadcast(campaignId: string, done: PageDone): Promise<Campaign | undefined> {
  const last = done.next_cursor === null;
  const names: Record<string, string> = { '#b': 'broadcast', '#page': 'page', '#cursor': 'cursor', '#paced': 'paced_until', '#p': 'progress', '#version': 'version' };
  const values: Record<string, unknown> = { ':page': done.page, ':next': done.page + 1, ':paced': done.paced_until, ':queued': done.queued, ':skipped': done.skipped, ':now': nowIso(), ':one': 1 };
  const sets = ['#b.#page = :next', '#b.#paced = :paced', '#p.queued = :queued', '#p.skipped = :skipped', 'updated_at = :now'];
  let condition = 'attribute_exists(pk) AND #b.#page = :page';
  if (last) {
    names['#status'] = 'status';
    values[':sending'] = 'sending';
    values[':completed'] = 'completed';
    values[':total'] = done.queued + done.skipped;
    sets.push('#status = :completed', '#p.#total = :total');
    names['#total'] = 'total';
    condition += ' AND #status = :sending';
  } else {
    values[':cursor'] = done.next_cursor;
    sets.push('#b.#cursor = :cursor');
  }
  try {
    const { Attributes } = await documentClient.send(
      new UpdateCommand({
        TableName: tableName(),
        Key: campaignKey(campaignId),
        UpdateExpression: `SET ${sets.join(', ')} ADD #version :one${last ? ' REMOVE #b.#cursor' : ''}`,
        ConditionExpression: condition,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_NEW',
      }),
    );
    return toCampaign(Attributes!);
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return undefined;
    throw error;
  }
}
