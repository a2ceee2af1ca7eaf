/** The single table, shaped by functions/shared/table-schema.ts (the same object the local runtime uses). */
import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, Billing, ProjectionType, TableEncryptionV2, TableV2, type ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { TABLE_SCHEMA } from '../../functions/shared/table-schema.js';

const ITEM_READ_ACTIONS = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:Scan', 'dynamodb:ConditionCheckItem', 'dynamodb:DescribeTable'];
const ITEM_WRITE_ACTIONS = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'];

/**
 * Item-level access (no table management) to the table and each of its indexes by name: TableV2's
 * grantReadData/grantReadWriteData would name `<table>/index/*` and stream actions for a table without a stream.
 */
export function grantItemAccess(table: ITableV2, grantee: IGrantable, access: 'read' | 'readwrite'): Grant {
  return Grant.addToPrincipal({
    grantee,
    actions: access === 'read' ? ITEM_READ_ACTIONS : [...ITEM_READ_ACTIONS, ...ITEM_WRITE_ACTIONS],
    resourceArns: [table.tableArn, ...Object.values(TABLE_SCHEMA.indexes).map((index) => `${table.tableArn}/index/${index.indexName}`)],
  });
}

export class DataTable extends Construct {
  readonly table: TableV2;

  constructor(scope: Construct, id: string, props: { retain: boolean }) {
    super(scope, id);
    this.table = new TableV2(this, 'Table', {
      partitionKey: { name: TABLE_SCHEMA.partitionKey, type: AttributeType.STRING },
      sortKey: { name: TABLE_SCHEMA.sortKey, type: AttributeType.STRING },
      billing: Billing.onDemand(),
      encryption: TableEncryptionV2.awsManagedKey(),
      timeToLiveAttribute: TABLE_SCHEMA.ttlAttribute,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: props.retain,
      removalPolicy: props.retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      globalSecondaryIndexes: Object.values(TABLE_SCHEMA.indexes).map((index) => ({
        indexName: index.indexName,
        partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
        sortKey: { name: index.sortKey, type: AttributeType.STRING },
        ...(index.projection.type === 'INCLUDE'
          ? { projectionType: ProjectionType.INCLUDE, nonKeyAttributes: [...index.projection.nonKeyAttributes] }
          : { projectionType: ProjectionType.ALL }),
      })),
    });
  }
}
