/** The Mailroom stack: wires the feature constructs together; no resources are defined here directly. */
import { CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { DataTable } from './constructs/data-table.js';
import { HttpApiRoutes } from './constructs/http-api.js';
import { PlatformSecrets } from './constructs/platform-secrets.js';
import { WorkQueue } from './constructs/work-queue.js';
import { QUEUES, type QueueDefinition } from './queues.js';
import { ROUTES } from './routes.js';

export interface MailroomStackProps extends StackProps {
  /** `dev` stacks can be destroyed with their data; every other stage retains and protects it. */
  stage: string;
  corsOrigins: readonly string[];
  logRetention: RetentionDays;
  auditRetentionDays: number;
  version: string;
}

export class MailroomStack extends Stack {
  constructor(scope: Construct, id: string, props: MailroomStackProps) {
    super(scope, id, props);
    const retain = props.stage !== 'dev';
    const removalPolicy = retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const environment = { MAILROOM_VERSION: props.version, AUDIT_RETENTION_DAYS: String(props.auditRetentionDays) };

    const { table } = new DataTable(this, 'Data', { retain });
    const secrets = new PlatformSecrets(this, 'Secrets', { retain });

    const queues = new Map<string, { definition: QueueDefinition; construct: WorkQueue }>();
    for (const definition of QUEUES as readonly QueueDefinition[]) {
      const construct = new WorkQueue(this, `Queue-${definition.name}`, { definition, logRetention: props.logRetention, removalPolicy, environment });
      construct.consumer.useTable(table, 'readwrite');
      queues.set(definition.name, { definition, construct });
    }

    new HttpApiRoutes(this, 'Api', { routes: ROUTES, table, secrets, queues, corsOrigins: props.corsOrigins, logRetention: props.logRetention, removalPolicy, environment });

    new CfnOutput(this, 'RootKeySecretArn', {
      value: secrets.rootKey.secretArn,
      description: 'Root API key secret: the key is "mr_root_" followed by its "secret" field (see README, Deploy).',
    });
  }
}
