/**
 * Templates. Access patterns: get the latest or a given version (also on the send path), list a team's
 * newest first, create, update with optimistic concurrency, delete.
 *   template: pk TEMPLATE#<id> sk TEMPLATE            gsi1pk TEAM#<team>#TEMPLATES gsi1sk <id>
 *   version:  pk TEMPLATE#<id> sk VERSION#<0000000007>
 * The template item is small (metadata and the latest version number), so the list index never copies
 * sources. Each version item holds a whole immutable snapshot. Every read starts at the template item, so
 * once it is deleted no version is reachable. A change writes the template item and the next version in one
 * transaction, which also deletes the version that falls out of the kept window.
 */
import { isDeepStrictEqual } from 'node:util';
import { DeleteCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { documentClient } from '../shared/clients.js';
import { ApiError, notFound } from '../shared/errors.js';
import { TEMPLATE_VERSIONS_KEPT, type Template, type TemplateSummary } from '../schemas/templates.js';
import type { TemplateChanges, TemplateContent } from '../schemas/template-bodies.js';
import { TABLE_SCHEMA, nowIso, listOwnerCollection, tableName, withoutNulls, type Page, getItem } from './table.js';
import { staleVersion } from './teams.js';

const { byOwner } = TABLE_SCHEMA.indexes;
const templateKey = (id: string) => ({ pk: `TEMPLATE#${id}`, sk: 'TEMPLATE' });
const versionKey = (id: string, version: number) => ({ pk: `TEMPLATE#${id}`, sk: `VERSION#${String(version).padStart(10, '0')}` });
const teamTemplatesPartition = (teamId: string) => `TEAM#${teamId}#TEMPLATES`;
/** A lost race without If-Match is retried on top of the winner; this many lost races in a row is a 409. */
const UPDATE_ATTEMPTS = 3;

function toSummary(item: Record<string, unknown>): TemplateSummary {
  const { id, name, description, version, created_at, updated_at } = item as unknown as TemplateSummary;
  return { id, name, description: description ?? null, version, created_at, updated_at };
}

function toTemplate(item: Record<string, unknown>): Template {
  const t = item as unknown as Template;
  return { ...toSummary(item), subject: t.subject, html: t.html, text: t.text ?? null, variables: t.variables };
}

function templateItem(teamId: string, template: Template) {
  return withoutNulls({
    ...templateKey(template.id),
    [byOwner.partitionKey]: teamTemplatesPartition(teamId),
    [byOwner.sortKey]: template.id,
    team_id: teamId,
    ...toSummary(template),
  });
}

function versionItem(teamId: string, template: Template) {
  return withoutNulls({ ...versionKey(template.id, template.version), team_id: teamId, ...template });
}

export async function createTemplate(teamId: string, id: string, content: TemplateContent): Promise<Template> {
  const now = nowIso();
  const template: Template = { id, ...content, version: 1, created_at: now, updated_at: now };
  await documentClient.send(
    new TransactWriteCommand({
      TransactItems: [
        { Put: { TableName: tableName(), Item: templateItem(teamId, template), ConditionExpression: 'attribute_not_exists(pk)' } },
        { Put: { TableName: tableName(), Item: versionItem(teamId, template), ConditionExpression: 'attribute_not_exists(pk)' } },
      ],
    }),
  );
  return template;
}

type TemplateLookup = { template: Template } | { missing: 'template' | 'version' };

/** The team's template at `version` (default the latest), or which of the two does not exist. */
export async function findTemplate(teamId: string, id: string, version?: number): Promise<TemplateLookup> {
  // A pinned version can be read alongside the template item; the latest needs its number first.
  const [head, pinned] = await Promise.all([getItem(templateKey(id)), version === undefined ? undefined : getItem(versionKey(id, version))]);
  if (!head || head.team_id !== teamId) return { missing: 'template' };
  if (version !== undefined) return pinned ? { template: toTemplate(pinned) } : { missing: 'version' };
  const latest = await getItem(versionKey(id, Number(head.version)));
  return latest ? { template: toTemplate(latest) } : { missing: 'template' };
}

export async function getTemplate(teamId: string, id: string, version?: number): Promise<Template> {
  const found = await findTemplate(teamId, id, version);
  if ('template' in found) return found.template;
  if (found.missing === 'template') throw notFound('Template');
  throw new ApiError('not_found', `Version ${version} of this template does not exist (the latest ${TEMPLATE_VERSIONS_KEPT} versions are kept).`, {
    param: 'version',
  });
}

export function listTemplates(teamId: string, options: { limit: number; cursor?: string }): Promise<Page<TemplateSummary>> {
  return listOwnerCollection(teamTemplatesPartition(teamId), options, toSummary);
}

const CONTENT_FIELDS = ['name', 'description', 'subject', 'html', 'text', 'variables'] as const;

/**
 * Applies the changes as a new version if the template still exists and (when given) is still at
 * `expectedVersion`. Changes that leave everything as it is write nothing and return the current version,
 * so repeating a PATCH does not push older versions out of the kept window.
 */
export async function updateTemplate(teamId: string, id: string, changes: TemplateChanges, expectedVersion?: number): Promise<Template> {
  for (let attempt = 0; attempt < UPDATE_ATTEMPTS; attempt++) {
    const found = await findTemplate(teamId, id);
    if (!('template' in found)) throw notFound('Template');
    const current = found.template;
    if (expectedVersion !== undefined && expectedVersion !== current.version) throw staleVersion();
    const next: Template = { ...current, ...changes, version: current.version + 1, updated_at: nowIso() };
    if (CONTENT_FIELDS.every((field) => isDeepStrictEqual(current[field], next[field]))) return current;
    const expired = next.version - TEMPLATE_VERSIONS_KEPT;
    try {
      await documentClient.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: tableName(),
                Item: templateItem(teamId, next),
                ConditionExpression: 'team_id = :team AND #version = :current',
                ExpressionAttributeNames: { '#version': 'version' },
                ExpressionAttributeValues: { ':team': teamId, ':current': current.version },
              },
            },
            // Versions are immutable: the condition on the template item already makes this one new.
            { Put: { TableName: tableName(), Item: versionItem(teamId, next), ConditionExpression: 'attribute_not_exists(pk)' } },
            ...(expired >= 1 ? [{ Delete: { TableName: tableName(), Key: versionKey(id, expired) } }] : []),
          ],
        }),
      );
      return next;
    } catch (error) {
      // Another change (or the delete) committed first: read again, so If-Match gets its 409 and a deleted template its 404.
      if (!(error instanceof TransactionCanceledException)) throw error;
    }
  }
  throw staleVersion();
}

/**
 * Deletes the template item (from then on nothing of it is readable), then its kept versions, whose numbers
 * follow from the latest. Returns false when the team has no such template.
 */
export async function deleteTemplate(teamId: string, id: string): Promise<boolean> {
  let latest: number;
  try {
    const { Attributes } = await documentClient.send(
      new DeleteCommand({
        TableName: tableName(),
        Key: templateKey(id),
        ConditionExpression: 'team_id = :team',
        ExpressionAttributeValues: { ':team': teamId },
        ReturnValues: 'ALL_OLD',
      }),
    );
    latest = Number(Attributes!.version);
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
  const oldest = Math.max(1, latest - TEMPLATE_VERSIONS_KEPT + 1);
  await Promise.all(
    Array.from({ length: latest - oldest + 1 }, (_, i) =>
      documentClient.send(new DeleteCommand({ TableName: tableName(), Key: versionKey(id, oldest + i) })),
    ),
  );
  return true;
}
