/**
 * A team's events (`domain.verified`, …): what webhooks will deliver. Access patterns: append one,
 * optionally in the same transaction as the change it reports (so it is recorded exactly once); list a
 * team's events newest first.
 *   event: pk TEAM#<team>#EVENTS sk <event id (ULID: time-sorted)>   expires_at = created + 30 days
 */
import { PutCommand, TransactWriteCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../shared/clients.js';
import { newId } from '../shared/ids.js';
import { epochSeconds, nowIso, queryPage, tableName, type Page } from './table.js';

const RETENTION_SECONDS = 30 * 24 * 3600;
const eventsPartition = (teamId: string) => `TEAM#${teamId}#EVENTS`;

export interface TeamEvent {
  id: string;
  team_id: string;
  type: string;
  data: Record<string, unknown>;
  created_at: string;
}

type TransactItems = NonNullable<TransactWriteCommandInput['TransactItems']>;

/**
 * Records the event. With `alsoWrite`, the event is written in one transaction after those items, so it
 * exists exactly when they succeed; their conditions fail the whole transaction (TransactionCanceledException,
 * reasons in the order given, the event last).
 */
export async function recordTeamEvent(teamId: string, type: string, data: Record<string, unknown>, alsoWrite: TransactItems = []): Promise<TeamEvent> {
  const now = Date.now();
  const event: TeamEvent = { id: newId('event', now), team_id: teamId, type, data, created_at: nowIso(now) };
  const put = {
    TableName: tableName(),
    Item: { pk: eventsPartition(teamId), sk: event.id, ...event, expires_at: epochSeconds(now) + RETENTION_SECONDS },
    ConditionExpression: 'attribute_not_exists(pk)',
  };
  if (alsoWrite.length === 0) await documentClient.send(new PutCommand(put));
  else await documentClient.send(new TransactWriteCommand({ TransactItems: [...alsoWrite, { Put: put }] }));
  return event;
}

export function listTeamEvents(teamId: string, options: { limit: number; cursor?: string }): Promise<Page<TeamEvent>> {
  const partition = eventsPartition(teamId);
  return queryPage(
    {
      KeyConditionExpression: '#pk = :pk',
      // Expired items linger until DynamoDB's TTL sweep removes them.
      FilterExpression: 'expires_at > :now',
      ExpressionAttributeNames: { '#pk': 'pk' },
      ExpressionAttributeValues: { ':pk': partition, ':now': epochSeconds() },
    },
    { ...options, partitionAttr: 'pk', partitionValue: partition },
    (item) => ({ id: item.id, team_id: item.team_id, type: item.type, data: item.data, created_at: item.created_at }) as TeamEvent,
  );
}
