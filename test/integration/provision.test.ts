/**
 * The local table is made from functions/shared/table-schema.ts: a new one gets every index with its projection,
 * and a table left from before an index was added is refused with how to recreate it (DynamoDB Local cannot
 * add the index in place the way CloudFormation does).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { CreateTableCommand, DeleteTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LOCAL_AWS } from '../../local/aws-env.js';
import { provisionTable } from '../../local/provision.js';
import { TABLE_SCHEMA } from '../../functions/shared/table-schema.js';
import { endpoints } from '../support/local-stack.js';

const client = new DynamoDBClient({ endpoint: endpoints().dynamodb, ...LOCAL_AWS });
const created: string[] = [];
const tableName = (label: string) => {
  const name = `provision-${label}-${process.pid}-${Date.now()}`;
  created.push(name);
  return name;
};
afterAll(async () => {
  await Promise.allSettled(created.map((TableName) => client.send(new DeleteTableCommand({ TableName }))));
  client.destroy();
});

describe('provisionTable', () => {
  it('creates each index with the projection the schema gives it; running again is a no-op', async () => {
    const name = tableName('new');
    await provisionTable(client, name);
    await provisionTable(client, name);
    const { Table } = await client.send(new DescribeTableCommand({ TableName: name }));
    const projections = Object.fromEntries((Table!.GlobalSecondaryIndexes ?? []).map((index) => [index.IndexName, index.Projection]));
    expect(projections).toEqual({
      [TABLE_SCHEMA.indexes.byOwner.indexName]: { ProjectionType: 'ALL' },
      [TABLE_SCHEMA.indexes.emailsByTeam.indexName]: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['recipient_addresses', 'tags'] },
    });
  });

  it('refuses a table from before the emails index, saying to restart with --fresh', async () => {
    const name = tableName('old');
    const { byOwner } = TABLE_SCHEMA.indexes;
    await client.send(
      new CreateTableCommand({
        TableName: name,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: ['pk', 'sk', byOwner.partitionKey, byOwner.sortKey].map((AttributeName) => ({ AttributeName, AttributeType: 'S' })),
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: [
          {
            IndexName: byOwner.indexName,
            KeySchema: [
              { AttributeName: byOwner.partitionKey, KeyType: 'HASH' },
              { AttributeName: byOwner.sortKey, KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
      }),
    );
    await expect(provisionTable(client, name)).rejects.toThrow(`Table ${name} lacks indexes gsi2: restart with --fresh to recreate local state.`);
  });
});
