/**
 * The single table's physical shape. CDK and the local runtime both create the table from this object,
 * and only the repositories in functions/repositories build key values.
 */

/**
 * What an index copies beyond its keys. Every write that changes a projected attribute also writes the index
 * copy (a second write unit), so an index projects ALL only when its items rarely change.
 */
export type IndexProjection = { type: 'ALL' } | { type: 'INCLUDE'; nonKeyAttributes: readonly string[] };

interface TableShape {
  partitionKey: string;
  sortKey: string;
  ttlAttribute: string;
  indexes: Record<string, { indexName: string; partitionKey: string; sortKey: string; projection: IndexProjection }>;
}

export const TABLE_SCHEMA = {
  partitionKey: 'pk',
  sortKey: 'sk',
  ttlAttribute: 'expires_at',
  indexes: {
    /** Lists that belong to an owner, newest first: gsi1pk = owner collection, gsi1sk = time-sortable id. */
    byOwner: { indexName: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk', projection: { type: 'ALL' } },
    /**
     * A team's emails, newest first: gsi2pk = team collection, gsi2sk = email id. It projects only what the list
     * filters read and no write after creation changes, so the status updates of an email cost no index write;
     * the list reads the emails themselves for the rest.
     */
    emailsByTeam: { indexName: 'gsi2', partitionKey: 'gsi2pk', sortKey: 'gsi2sk', projection: { type: 'INCLUDE', nonKeyAttributes: ['recipient_addresses', 'tags'] } },
  },
} as const satisfies TableShape;

export type IndexName = keyof typeof TABLE_SCHEMA.indexes;
