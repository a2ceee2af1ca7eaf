/**
 * The one place that turns what a function says it needs (route table / queue definitions) into
 * environment variables and least-privilege grants, each grant next to the variable that needs it.
 */
import { Stack } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import type { Capability } from '../routes.js';
import type { QueueDefinition } from '../queues.js';
import type { AppFunction } from './app-function.js';
import type { MailStorage } from './mail-storage.js';
import type { MediaStorage } from './media-storage.js';
import { acknowledgeWildcardResources } from './nag.js';
import type { PlatformSecrets } from './platform-secrets.js';
import type { SesSending } from './ses-sending.js';
import type { WorkQueue } from './work-queue.js';

export interface PlatformAccessProps {
  table: ITableV2;
  secrets: PlatformSecrets;
  mail: MailStorage;
  /** The storage API's bucket, and the base URL its public objects are served from. */
  media: MediaStorage;
  ses: SesSending;
  queues: ReadonlyMap<string, { definition: QueueDefinition; construct: WorkQueue }>;
  /** Public base URL of the API (links in mail). */
  publicApiUrl: string;
  sesSendRatePerSecond: number;
  /** The state machine campaign enrolments run on. */
  campaignStateMachine: IStateMachine;
}

export interface FunctionNeeds {
  table?: boolean;
  secrets?: boolean;
  sendsTo?: readonly string[];
  uses?: readonly Capability[];
}

const SES_IDENTITIES_REASON = "Teams add their own sending domains at run time; the grant is this account and region's SES identities only.";

export class PlatformAccess {
  constructor(private readonly props: PlatformAccessProps) {}

  apply(fn: AppFunction, needs: FunctionNeeds): void {
    const { props } = this;
    // Links in mail (confirmation, unsubscribe) can come from any send path, and whatever fans sends out
    // (broadcasts) paces them to the account's rate: every function knows both.
    fn.function.addEnvironment('PUBLIC_API_URL', props.publicApiUrl);
    fn.function.addEnvironment('SES_SEND_RATE_PER_SECOND', String(props.sesSendRatePerSecond));
    if (needs.table) fn.useTable(props.table, 'readwrite');
    if (needs.secrets) fn.useSecret(props.secrets.pepper, 'PEPPER_SECRET_ARN').useSecret(props.secrets.rootKey, 'ROOT_KEY_SECRET_ARN');
    for (const name of needs.sendsTo ?? []) {
      const queue = props.queues.get(name);
      if (!queue) throw new Error(`Unknown queue ${name}`);
      fn.useQueueToSend(queue.construct.queue, queue.definition.urlEnvVar);
    }
    for (const capability of needs.uses ?? []) this.grant(fn, capability);
  }

  private grant(fn: AppFunction, capability: Capability): void {
    const { props } = this;
    const lambda = fn.function;
    const stack = Stack.of(props.ses);
    const configurationSetArn = (name: string) => stack.formatArn({ service: 'ses', resource: 'configuration-set', resourceName: name });
    const identityArn = stack.formatArn({ service: 'ses', resource: 'identity', resourceName: '*' });
    switch (capability) {
      case 'table':
        fn.useTable(props.table, 'readwrite');
        return;
      case 'pepper':
        fn.useSecret(props.secrets.pepper, 'PEPPER_SECRET_ARN');
        return;
      case 'mail-store-write':
        lambda.addEnvironment('MAIL_BUCKET', props.mail.bucket.bucketName);
        props.mail.objects.grant(lambda.role!, 'write');
        return;
      case 'mail-store-read':
        lambda.addEnvironment('MAIL_BUCKET', props.mail.bucket.bucketName);
        props.mail.objects.grant(lambda.role!, 'read');
        return;
      case 'mail-store-purge':
        lambda.addEnvironment('MAIL_BUCKET', props.mail.bucket.bucketName);
        props.mail.objects.grant(lambda.role!, 'read');
        props.mail.objects.grant(lambda.role!, 'delete');
        return;
      case 'media-read':
        lambda.addEnvironment('MEDIA_BUCKET', props.media.bucket.bucketName);
        lambda.addEnvironment('MEDIA_PUBLIC_URL', props.media.publicUrl);
        props.media.objects.grant(lambda.role!, 'read');
        return;
      case 'media-write':
        lambda.addEnvironment('MEDIA_BUCKET', props.media.bucket.bucketName);
        props.media.objects.grant(lambda.role!, 'write');
        return;
      case 'campaign-runs':
        lambda.addEnvironment('CAMPAIGN_STATE_MACHINE_ARN', props.campaignStateMachine.stateMachineArn);
        props.campaignStateMachine.grantStartExecution(lambda);
        return;
      case 'media-delete':
        lambda.addEnvironment('MEDIA_BUCKET', props.media.bucket.bucketName);
        props.media.objects.grant(lambda.role!, 'delete');
        return;
      case 'ses-identities':
        lambda.addEnvironment('SES_CONFIGURATION_SET', props.ses.tracked.configurationSetName);
        lambda.addToRolePolicy(
          new PolicyStatement({
            actions: ['ses:CreateEmailIdentity', 'ses:GetEmailIdentity', 'ses:DeleteEmailIdentity', 'ses:PutEmailIdentityMailFromAttributes'],
            resources: [identityArn, configurationSetArn(props.ses.tracked.configurationSetName)],
          }),
        );
        acknowledgeWildcardResources(lambda.role!, [identityArn], SES_IDENTITIES_REASON);
        return;
      case 'ses-send':
        lambda.addEnvironment('SES_CONFIGURATION_SET', props.ses.tracked.configurationSetName);
        lambda.addEnvironment('SES_CONFIGURATION_SET_UNTRACKED', props.ses.untracked.configurationSetName);
        lambda.addToRolePolicy(
          new PolicyStatement({
            actions: ['ses:SendEmail', 'ses:SendRawEmail'],
            resources: [identityArn, configurationSetArn(props.ses.tracked.configurationSetName), configurationSetArn(props.ses.untracked.configurationSetName)],
          }),
        );
        acknowledgeWildcardResources(lambda.role!, [identityArn], SES_IDENTITIES_REASON);
        return;
    }
  }
}
