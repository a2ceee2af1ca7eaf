/** The Mailroom stack: wires the feature constructs together; no resources are defined here directly. */
import { CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { autoPauseEnvironment, DEFAULT_AUTO_PAUSE, type AutoPauseSettings } from './auto-pause.js';
import { AccessLogs } from './constructs/access-logs.js';
import { AppFunction } from './constructs/app-function.js';
import { DataTable } from './constructs/data-table.js';
import { CampaignEngine } from './constructs/campaign-engine.js';
import { HttpApiRoutes } from './constructs/http-api.js';
import { MailStorage } from './constructs/mail-storage.js';
import { MediaStorage } from './constructs/media-storage.js';
import { Monitoring } from './constructs/monitoring.js';
import { acknowledgeCdkProviders } from './constructs/nag.js';
import { PlatformAccess } from './constructs/platform-access.js';
import { PlatformSecrets } from './constructs/platform-secrets.js';
import { SesSending } from './constructs/ses-sending.js';
import { SesReceiving } from './constructs/ses-receiving.js';
import { WorkQueue } from './constructs/work-queue.js';
import { QUEUES, queueByName, type QueueDefinition } from './queues.js';
import { ROUTES } from './routes.js';

export interface MailroomStackProps extends StackProps {
  /** `dev` stacks can be destroyed with their data; every other stage retains and protects it. */
  stage: string;
  corsOrigins: readonly string[];
  logRetention: RetentionDays;
  auditRetentionDays: number;
  version: string;
  /** Operator-verified SES domain any team may send from before adding its own (optional). */
  defaultSendingDomain?: string;
  /** The account's SES maximum send rate (emails per second). */
  sesSendRatePerSecond: number;
  /** Let webhooks use plain http:// URLs (HTTPS only by default). Private addresses are refused either way. */
  webhookAllowHttp?: boolean;
  /** Limits past which a team's sending is paused (lib/auto-pause.ts); `false` turns the pause off. Default: on, with the default limits. */
  autoPause?: AutoPauseSettings | false;
  /** Email address subscribed to the alarm topic. */
  alarmEmail?: string;
}

export class MailroomStack extends Stack {
  constructor(scope: Construct, id: string, props: MailroomStackProps) {
    super(scope, id, props);
    const retain = props.stage !== 'dev';
    const removalPolicy = retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const environment: Record<string, string> = {
      MAILROOM_VERSION: props.version,
      AUDIT_RETENTION_DAYS: String(props.auditRetentionDays),
      ...(props.defaultSendingDomain && { DEFAULT_SENDING_DOMAIN: props.defaultSendingDomain }),
      ...(props.webhookAllowHttp && { WEBHOOK_ALLOW_HTTP: 'true' }),
      ...autoPauseEnvironment(props.autoPause ?? DEFAULT_AUTO_PAUSE),
    };

    const { table } = new DataTable(this, 'Data', { retain });
    const secrets = new PlatformSecrets(this, 'Secrets', { retain });
    const accessLogs = new AccessLogs(this, 'AccessLogs', { retain, retention: props.logRetention });
    const mail = new MailStorage(this, 'Mail', { retain, payloadRetentionDays: 90, accessLogs: accessLogs.bucket });

    const queues = new Map<string, { definition: QueueDefinition; construct: WorkQueue }>();
    for (const definition of QUEUES as readonly QueueDefinition[]) {
      const construct = new WorkQueue(this, `Queue-${definition.name}`, { definition, logRetention: props.logRetention, removalPolicy, environment });
      queues.set(definition.name, { definition, construct });
    }
    const ses = new SesSending(this, 'Ses', { eventsQueue: queues.get(queueByName('ses-events').name)!.construct.queue, removalPolicy });
    const media = new MediaStorage(this, 'Media', {
      retain,
      eventsQueue: queues.get(queueByName('storage-events').name)!.construct.queue,
      corsOrigins: props.corsOrigins,
      accessLogs: accessLogs.bucket,
    });
    const api = new HttpApiRoutes(this, 'Api', { corsOrigins: props.corsOrigins, logRetention: props.logRetention, removalPolicy, environment });
    const campaigns = new CampaignEngine(this, 'Campaigns', { logRetention: props.logRetention, removalPolicy, environment });

    const access = new PlatformAccess({
      table,
      secrets,
      mail,
      media,
      ses,
      queues,
      publicApiUrl: api.api.apiEndpoint,
      sesSendRatePerSecond: props.sesSendRatePerSecond,
      campaignStateMachine: campaigns.stateMachine,
    });
    for (const { definition, construct } of queues.values()) {
      access.apply(construct.consumer, { table: true, sendsTo: definition.sendsTo, uses: definition.uses });
    }
    api.addRoutes(ROUTES, access);
    // Campaign sends go through the send pipeline; contact updates publish webhook events.
    access.apply(campaigns.stepFunction, { table: true, sendsTo: ['send', 'webhook-fanout'], uses: ['mail-store-write', 'media-read'] });

    const receiving = new SesReceiving(this, 'Receiving', { mailBucket: mail.bucket, logRetention: props.logRetention, removalPolicy, environment });
    access.apply(receiving.receiptFunction, { sendsTo: ['inbound'] });

    // Last, so it finds every function the constructs above made.
    new Monitoring(this, 'Monitoring', {
      alarmEmail: props.alarmEmail,
      api: api.api,
      queues: queues.values(),
      functions: this.node.findAll().filter((c): c is AppFunction => c instanceof AppFunction),
      campaignStateMachine: campaigns.stateMachine,
      autoPause: props.autoPause !== false,
    });
    acknowledgeCdkProviders(this);

    new CfnOutput(this, 'MediaPublicUrl', { value: media.publicUrl, description: 'Where objects of public storage buckets are served (CloudFront).' });
    new CfnOutput(this, 'RootKeySecretArn', {
      value: secrets.rootKey.secretArn,
      description: 'Root API key secret: the key is "mr_root_" followed by its "secret" field (see README, Deploy).',
    });
  }
}
