/**
 * Sending domains. Access patterns: get by id, list a team's newest first, claim a name account-wide (an SES
 * identity belongs to the AWS account, so one team at a time may hold a name), and the `from` check of a send
 * (is this name a verified domain of this team?) in one read.
 *   domain: pk DOMAIN#<id>          sk DOMAIN       gsi1pk TEAM#<team>#DOMAINS gsi1sk <id>
 *   claim:  pk DOMAINNAME#<name>    sk DOMAINNAME   team_id, domain_id, status (mirrors the domain's status)
 * Deleting a domain deletes both items, so the name is free again.
 */
import { GetCommand, TransactWriteCommand, UpdateCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { documentClient } from '../shared/clients.js';
import { ApiError, notFound } from '../shared/errors.js';
import type { Domain } from '../schemas/domains.js';
import { dnsRecords, domainStatus, mailFromDomainOf, type IdentityCheck, type SesCheckStatus } from '../domain/dns-records.js';
import { nowIso, listOwnerCollection, tableName, type Page, newOwnedItemPut } from './table.js';
import { teamIsActiveCondition } from './teams.js';
import { recordTeamEvent } from './team-events.js';

const domainKey = (id: string) => ({ pk: `DOMAIN#${id}`, sk: 'DOMAIN' });
const claimKey = (name: string) => ({ pk: `DOMAINNAME#${name}`, sk: 'DOMAINNAME' });
const teamDomainsPartition = (teamId: string) => `TEAM#${teamId}#DOMAINS`;
/** Optimistic retries when concurrent checks of one domain race. */
const CHECK_ATTEMPTS = 3;

export type { Domain };

interface DomainItem {
  id: string;
  team_id: string;
  name: string;
  status: Domain['status'];
  region: string;
  dkim_tokens: string[];
  dkim_status: SesCheckStatus;
  mail_from_status: SesCheckStatus;
  created_at: string;
  verified_at: string | null;
  last_checked_at: string | null;
  version: number;
}

function toItem(raw: Record<string, unknown>): DomainItem {
  const i = raw as unknown as DomainItem;
  return {
    id: i.id,
    team_id: i.team_id,
    name: i.name,
    status: i.status,
    region: i.region,
    dkim_tokens: i.dkim_tokens ?? [],
    dkim_status: i.dkim_status,
    mail_from_status: i.mail_from_status,
    created_at: i.created_at,
    verified_at: i.verified_at ?? null,
    last_checked_at: i.last_checked_at ?? null,
    version: i.version,
  };
}

function toDomain(item: DomainItem): Domain {
  return {
    id: item.id,
    name: item.name,
    status: item.status,
    region: item.region,
    mail_from_domain: mailFromDomainOf(item.name),
    records: dnsRecords({
      domain: item.name,
      region: item.region,
      dkimTokens: item.dkim_tokens,
      dkimStatus: item.dkim_status,
      mailFromStatus: item.mail_from_status,
    }),
    created_at: item.created_at,
    verified_at: item.verified_at,
    last_checked_at: item.last_checked_at,
    version: item.version,
  };
}

const conditionFailed = (error: unknown, index: number) =>
  error instanceof TransactionCanceledException && error.CancellationReasons?.[index]?.Code === 'ConditionalCheckFailed';

/**
 * Creates the domain and claims its name for the team in one transaction, before SES is asked for the
 * identity: a name claimed by another team is a 409 and never reaches SES. The records stay empty until
 * recordDomainIdentity() stores what SES returned.
 */
export async function claimDomain(input: { id: string; team_id: string; name: string; region: string }): Promise<void> {
  const item: DomainItem = {
    ...input,
    status: 'pending',
    dkim_tokens: [],
    dkim_status: 'NOT_STARTED',
    mail_from_status: 'NOT_STARTED',
    created_at: nowIso(),
    verified_at: null,
    last_checked_at: null,
    version: 1,
  };
  try {
    await documentClient.send(
      new TransactWriteCommand({
        TransactItems: [
          teamIsActiveCondition(input.team_id),
          {
            Put: newOwnedItemPut(domainKey(input.id), { partition: teamDomainsPartition(input.team_id), sortKey: input.id }, item),
          },
          {
            Put: {
              TableName: tableName(),
              Item: { ...claimKey(input.name), team_id: input.team_id, domain_id: input.id, status: item.status },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
        ],
      }),
    );
  } catch (error) {
    if (conditionFailed(error, 0)) throw notFound('Team');
    if (conditionFailed(error, 2)) throw new ApiError('conflict', `The domain ${input.name} is already registered.`, { param: 'name' });
    throw error;
  }
}

/**
 * Stores the DKIM tokens and statuses SES returned when it created the identity. Not a check: the version
 * stays, and the domain stays pending until recordDomainCheck() (which records `domain.verified`).
 */
export async function recordDomainIdentity(
  teamId: string,
  id: string,
  identity: Pick<IdentityCheck, 'dkimTokens' | 'dkimStatus' | 'mailFromStatus'>,
): Promise<Domain> {
  try {
    const { Attributes } = await documentClient.send(
      new UpdateCommand({
        TableName: tableName(),
        Key: domainKey(id),
        UpdateExpression: 'SET dkim_tokens = :tokens, dkim_status = :dkim, mail_from_status = :mailFrom',
        ConditionExpression: 'team_id = :team',
        ExpressionAttributeValues: {
          ':tokens': identity.dkimTokens,
          ':dkim': identity.dkimStatus,
          ':mailFrom': identity.mailFromStatus,
          ':team': teamId,
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return toDomain(toItem(Attributes!));
  } catch (error) {
    // Deleted by a concurrent request of the team while SES was creating the identity.
    if (error instanceof ConditionalCheckFailedException) throw notFound('Domain');
    throw error;
  }
}

async function findTeamDomainItem(teamId: string, id: string): Promise<DomainItem | undefined> {
  const { Item } = await documentClient.send(new GetCommand({ TableName: tableName(), Key: domainKey(id), ConsistentRead: true }));
  return Item && Item.team_id === teamId ? toItem(Item) : undefined;
}

/** The team's domain, or 404 (also for other teams' domains: existence is never revealed). */
export async function getTeamDomain(teamId: string, id: string): Promise<Domain> {
  const item = await findTeamDomainItem(teamId, id);
  if (!item) throw notFound('Domain');
  return toDomain(item);
}

export function listTeamDomains(teamId: string, options: { limit: number; cursor?: string }): Promise<Page<Domain>> {
  return listOwnerCollection(teamDomainsPartition(teamId), options, (item) => toDomain(toItem(item)));
}

/**
 * Stores the result of an SES check. The first time a domain is verified, `domain.verified` is recorded in
 * the same transaction, conditioned on the version read, so concurrent checks record it exactly once.
 */
export async function recordDomainCheck(teamId: string, id: string, check: IdentityCheck): Promise<Domain> {
  for (let attempt = 0; attempt < CHECK_ATTEMPTS; attempt++) {
    const current = await findTeamDomainItem(teamId, id);
    if (!current) throw notFound('Domain');
    const now = nowIso();
    const status = domainStatus(check);
    const firstVerified = status === 'verified' && current.verified_at === null;
    const next: DomainItem = {
      ...current,
      status,
      dkim_tokens: check.dkimTokens.length ? check.dkimTokens : current.dkim_tokens,
      dkim_status: check.dkimStatus,
      mail_from_status: check.mailFromStatus,
      verified_at: firstVerified ? now : current.verified_at,
      last_checked_at: now,
      version: current.version + 1,
    };
    const writes: NonNullable<TransactWriteCommandInput['TransactItems']> = [
      {
        Update: {
          TableName: tableName(),
          Key: domainKey(id),
          UpdateExpression:
            'SET #status = :status, dkim_tokens = :tokens, dkim_status = :dkim, mail_from_status = :mailFrom, last_checked_at = :now' +
            (firstVerified ? ', verified_at = :now' : '') +
            ' ADD #version :one',
          ConditionExpression: 'team_id = :team AND #version = :expected',
          ExpressionAttributeNames: { '#status': 'status', '#version': 'version' },
          ExpressionAttributeValues: {
            ':status': next.status,
            ':tokens': next.dkim_tokens,
            ':dkim': next.dkim_status,
            ':mailFrom': next.mail_from_status,
            ':now': now,
            ':team': teamId,
            ':expected': current.version,
            ':one': 1,
          },
        },
      },
      {
        Update: {
          TableName: tableName(),
          Key: claimKey(current.name),
          UpdateExpression: 'SET #status = :status',
          ConditionExpression: 'domain_id = :id',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':status': next.status, ':id': id },
        },
      },
    ];
    try {
      if (firstVerified) await recordTeamEvent(teamId, 'domain.verified', { domain_id: id, name: current.name, verified_at: now }, writes);
      else await documentClient.send(new TransactWriteCommand({ TransactItems: writes }));
      return toDomain(next);
    } catch (error) {
      // Another check or a delete changed the domain since it was read: read it again.
      if (conditionFailed(error, 0) || conditionFailed(error, 1)) continue;
      throw error;
    }
  }
  throw new ApiError('conflict', 'The domain is being checked by another request; retry.', { retryable: true });
}

/** Deletes the domain and frees its name; false if it is not the team's (or already gone). */
export async function removeDomain(teamId: string, domain: { id: string; name: string }): Promise<boolean> {
  try {
    await documentClient.send(
      new TransactWriteCommand({
        TransactItems: [
          { Delete: { TableName: tableName(), Key: domainKey(domain.id), ConditionExpression: 'team_id = :team', ExpressionAttributeValues: { ':team': teamId } } },
          { Delete: { TableName: tableName(), Key: claimKey(domain.name), ConditionExpression: 'domain_id = :id', ExpressionAttributeValues: { ':id': domain.id } } },
        ],
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof TransactionCanceledException && error.CancellationReasons?.some((r) => r.Code === 'ConditionalCheckFailed')) return false;
    throw error;
  }
}

/**
 * True if the team owns `domainName` and it is verified: the `from` check of a send, one strongly consistent
 * read. The deployment's default sending domain is the caller's business.
 */
export async function findVerifiedSendingDomain(teamId: string, domainName: string): Promise<boolean> {
  const { Item } = await documentClient.send(
    new GetCommand({ TableName: tableName(), Key: claimKey(domainName.toLowerCase()), ConsistentRead: true }),
  );
  return Item?.team_id === teamId && Item.status === 'verified';
}
