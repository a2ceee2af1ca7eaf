/**
 * A queue that always comes with its DLQ, redrive policy, retention, a visibility timeout of 6× its
 * consumer's timeout, and a consumer that reports partial batch failures. Built from lib/queues.ts.
 */
import { CfnOutput, Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { visibilityTimeoutSeconds, type QueueDefinition } from '../queues.js';
import { deadLetterQueueOutputKey } from '../queue-outputs.js';
import { AppFunction } from './app-function.js';

const DLQ_RETENTION = Duration.days(14);

export class WorkQueue extends Construct {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
  readonly consumer: AppFunction;

  constructor(
    scope: Construct,
    id: string,
    props: { definition: QueueDefinition; logRetention: RetentionDays; removalPolicy: RemovalPolicy; environment?: Record<string, string> },
  ) {
    super(scope, id);
    const { definition } = props;
    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      retentionPeriod: DLQ_RETENTION,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    this.queue = new Queue(this, 'Queue', {
      visibilityTimeout: Duration.seconds(visibilityTimeoutSeconds(definition)),
      retentionPeriod: Duration.days(definition.retentionDays),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: definition.maxReceiveCount },
    });
    // How `npm run redrive -- <queue>` finds the DLQ of a deployed stack.
    new CfnOutput(this, 'DeadLetterQueueUrl', {
      key: deadLetterQueueOutputKey(definition.name),
      value: this.deadLetterQueue.queueUrl,
      description: `DLQ of the ${definition.name} queue (npm run redrive -- ${definition.name}).`,
    });

    this.consumer = new AppFunction(this, 'Consumer', {
      entry: definition.consumer,
      description: `Consumes the ${definition.name} queue`,
      timeoutSeconds: definition.consumerTimeoutSeconds,
      memoryMb: 512,
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
      environment: props.environment,
    });
    // The consumer backs failed records off with ChangeMessageVisibility on its own queue's URL;
    // the event source grants consume permissions (which include ChangeMessageVisibility).
    this.consumer.function.addEnvironment(definition.urlEnvVar, this.queue.queueUrl);
    this.consumer.function.addEventSource(
      new SqsEventSource(this.queue, { batchSize: definition.batchSize, reportBatchItemFailures: true, maxConcurrency: definition.maxConcurrency }),
    );
    // Consumers that pace themselves (the sender) divide the rate by how many instances may run at once.
    if (definition.maxConcurrency) this.consumer.function.addEnvironment('CONSUMER_MAX_CONCURRENCY', String(definition.maxConcurrency));
  }
}
