/**
 * The single table's physical shape. CDK and the local runtime both create the table from this object,
 * and only the repositories in functions/repositories build key values.
 */
export const TABLE_SCHEMA = {
  partitionKey: 'pk',
  sortKey: 'sk',
  ttlAttribute: 'expires_at',
  indexes: {
    /** Lists that belong to an owner, newest first: gsi1pk = owner collection, gsi1sk = time-sortable id. */
    byOwner: { indexName: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
  },
} as const;

export type IndexName = keyof typeof TABLE_SCHEMA.indexes;
