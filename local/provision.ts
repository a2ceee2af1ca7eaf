/**
 * Creates the table and queues offline from the same definitions CDK deploys
 * (functions/shared/table-schema.ts, lib/queues.ts). Safe to run on every start.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { CreateBucketCommand, PutBucketNotificationConfigurationCommand, type S3Client } from '@aws-sdk/client-s3';
import { CreateTopicCommand, SubscribeCommand, type SNSClient } from '@aws-sdk/client-sns';
import {
  CreateConfigurationSetCommand,
  CreateConfigurationSetEventDestinationCommand,
  UpdateConfigurationSetEventDestinationCommand,
  type EventDestinationDefinition,
  type SESv2Client,
} from '@aws-sdk/client-sesv2';
import { SES_EVENT_DESTINATION_NAME, type SesEventType } from '../lib/ses-event-types.js';
import { TABLE_SCHEMA } from '../functions/shared/table-schema.js';
import { QUEUES, visibilityTimeoutSeconds, type QueueDefinition } from '../lib/queues.js';

export async function provisionTable(client: DynamoDBClient, tableName: string): Promise<void> {
  const { partitionKey, sortKey, ttlAttribute, indexes } = TABLE_SCHEMA;
  const indexList = Object.values(indexes);
  const attributes = new Set<string>([partitionKey, sortKey, ...indexList.flatMap((i) => [i.partitionKey, i.sortKey])]);
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [...attributes].map((name) => ({ AttributeName: name, AttributeType: 'S' })),
        KeySchema: [
          { AttributeName: partitionKey, KeyType: 'HASH' },
          { AttributeName: sortKey, KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: indexList.map((index) => ({
          IndexName: index.indexName,
          KeySchema: [
            { AttributeName: index.partitionKey, KeyType: 'HASH' },
            { AttributeName: index.sortKey, KeyType: 'RANGE' },
          ],
          Projection:
            index.projection.type === 'INCLUDE' ? { ProjectionType: 'INCLUDE', NonKeyAttributes: [...index.projection.nonKeyAttributes] } : { ProjectionType: 'ALL' },
        })),
      }),
    );
    await client.send(new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification: { AttributeName: ttlAttribute, Enabled: true } }));
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    const existing = new Set((Table?.GlobalSecondaryIndexes ?? []).map((i) => i.IndexName));
    const missing = indexList.filter((i) => !existing.has(i.indexName)).map((i) => i.indexName);
    if (missing.length) throw new Error(`Table ${tableName} lacks indexes ${missing.join(', ')}: restart with --fresh to recreate local state.`);
  }
}

/** The queue prefix of `npm run dev` (tests give each stack its own). */
export const DEFAULT_QUEUE_PREFIX = 'mailroom';

export const localQueueName = (prefix: string, queue: Pick<QueueDefinition, 'name'>) => `${prefix}-${queue.name}`;

/** The DLQ of the local queue named `queueName`. */
export const localDeadLetterQueueName = (queueName: string) => `${queueName}-dlq`;

export interface ProvisionedQueue {
  definition: QueueDefinition;
  url: string;
  arn: string;
  dlqUrl: string;
}

export async function provisionQueue(client: SQSClient, name: string, definition: QueueDefinition): Promise<ProvisionedQueue> {
  const retention = String(definition.retentionDays * 86400);
  const dlq = await client.send(new CreateQueueCommand({ QueueName: localDeadLetterQueueName(name), Attributes: { MessageRetentionPeriod: String(14 * 86400) } }));
  const dlqAttributes = await client.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl!, AttributeNames: ['QueueArn'] }));
  const queue = await client.send(
    new CreateQueueCommand({
      QueueName: name,
      Attributes: {
        VisibilityTimeout: String(visibilityTimeoutSeconds(definition)),
        MessageRetentionPeriod: retention,
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqAttributes.Attributes!.QueueArn, maxReceiveCount: definition.maxReceiveCount }),
      },
    }),
  );
  const attributes = await client.send(new GetQueueAttributesCommand({ QueueUrl: queue.QueueUrl!, AttributeNames: ['QueueArn'] }));
  return { definition, url: queue.QueueUrl!, arn: attributes.Attributes!.QueueArn!, dlqUrl: dlq.QueueUrl! };
}

export function provisionQueues(client: SQSClient, prefix: string): Promise<ProvisionedQueue[]> {
  return Promise.all(QUEUES.map((definition) => provisionQueue(client, localQueueName(prefix, definition), definition)));
}

export async function provisionBucket(client: S3Client, bucket: string): Promise<void> {
  await client.send(new CreateBucketCommand({ Bucket: bucket })).catch((error) => {
    if (!['BucketAlreadyOwnedByYou', 'BucketAlreadyExists'].includes((error as Error).name)) throw error;
  });
}

/** S3 event notifications of `prefix` to the queue, as lib/constructs/media-storage.ts configures them on AWS. */
export async function provisionBucketNotifications(client: S3Client, bucket: string, queue: ProvisionedQueue, prefix: string): Promise<void> {
  await client.send(
    new PutBucketNotificationConfigurationCommand({
      Bucket: bucket,
      NotificationConfiguration: {
        QueueConfigurations: [
          {
            Id: 'storage-events',
            QueueArn: queue.arn,
            Events: ['s3:ObjectCreated:*', 's3:ObjectRemoved:*'],
            Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: prefix }] } },
          },
        ],
      },
    }),
  );
}

/**
 * SES publishes configuration-set events to an SNS topic that delivers them raw to the events queue,
 * exactly as the CDK stack wires it; the local SES front publishes to this topic.
 */
export async function provisionSesEventTopic(sns: SNSClient, topicName: string, queue: ProvisionedQueue): Promise<string> {
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: topicName }));
  await sns.send(
    new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: queue.arn, Attributes: { RawMessageDelivery: 'true' }, ReturnSubscriptionArn: true }),
  );
  return TopicArn!;
}

const ignore = (...names: string[]) => (error: unknown) => {
  if (!names.includes((error as Error).name)) throw error;
};

/**
 * A configuration set publishing `eventTypes` to the SNS topic, made through the SES v2 API as CDK makes it
 * on AWS. Converges on every start: an existing destination is updated to point at the current topic.
 */
export async function provisionConfigurationSet(ses: SESv2Client, name: string, topicArn: string, eventTypes: readonly SesEventType[]): Promise<void> {
  await ses.send(new CreateConfigurationSetCommand({ ConfigurationSetName: name })).catch(ignore('AlreadyExistsException'));
  const destination: EventDestinationDefinition = { Enabled: true, MatchingEventTypes: [...eventTypes], SnsDestination: { TopicArn: topicArn } };
  try {
    await ses.send(
      new CreateConfigurationSetEventDestinationCommand({
        ConfigurationSetName: name,
        EventDestinationName: SES_EVENT_DESTINATION_NAME,
        EventDestination: destination,
      }),
    );
  } catch (error) {
    ignore('AlreadyExistsException')(error);
    await ses.send(
      new UpdateConfigurationSetEventDestinationCommand({
        ConfigurationSetName: name,
        EventDestinationName: SES_EVENT_DESTINATION_NAME,
        EventDestination: destination,
      }),
    );
  }
}
