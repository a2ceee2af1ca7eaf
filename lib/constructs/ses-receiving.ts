/**
 * SES receiving: one receipt rule set (made active at deploy) whose rule, for every domain this account
 * receives for, scans for spam and viruses, stores the raw MIME in the encrypted mail bucket
 * (`inbound/<message id>`), then invokes the receipt function (event invocation), which hands the receipt
 * to the inbound queue. Which inbox, if any, owns a recipient is decided by the inbound worker, so adding
 * an inbox or a receiving domain never needs a deploy.
 */
import { Duration, Stack, Validations } from 'aws-cdk-lib';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { ReceiptRuleSet, TlsPolicy } from 'aws-cdk-lib/aws-ses';
import { Lambda as LambdaAction, LambdaInvocationType, S3 as S3Action } from 'aws-cdk-lib/aws-ses-actions';
import { AwsCustomResource, AwsCustomResourcePolicy, PhysicalResourceId } from 'aws-cdk-lib/custom-resources';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { RemovalPolicy } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { AppFunction } from './app-function.js';

export const INBOUND_OBJECT_PREFIX = 'inbound/';

export class SesReceiving extends Construct {
  readonly receiptFunction: AppFunction;
  readonly ruleSet: ReceiptRuleSet;

  constructor(scope: Construct, id: string, props: { mailBucket: IBucket; logRetention: RetentionDays; removalPolicy: RemovalPolicy; environment: Record<string, string> }) {
    super(scope, id);
    this.receiptFunction = new AppFunction(this, 'Receipt', {
      entry: 'functions/workers/inbound-receipt.ts',
      description: 'SES receipt rule action: queues received mail',
      timeoutSeconds: 30,
      memoryMb: 256,
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
      environment: props.environment,
    });
    // Failed event invocations are retried by Lambda; SQS (the only dependency) rarely refuses twice.
    this.receiptFunction.function.configureAsyncInvoke({ retryAttempts: 2, maxEventAge: Duration.hours(6) });

    this.ruleSet = new ReceiptRuleSet(this, 'RuleSet', {
      rules: [
        {
          enabled: true,
          scanEnabled: true,
          tlsPolicy: TlsPolicy.OPTIONAL,
          actions: [
            new S3Action({ bucket: props.mailBucket, objectKeyPrefix: INBOUND_OBJECT_PREFIX }),
            new LambdaAction({ function: this.receiptFunction.function, invocationType: LambdaInvocationType.EVENT }),
          ],
        },
      ],
    });

    // Only one rule set is active per account and region; CloudFormation has no property for it.
    const stack = Stack.of(this);
    const activate = new AwsCustomResource(this, 'Activate', {
      onUpdate: {
        service: 'SES',
        action: 'setActiveReceiptRuleSet',
        parameters: { RuleSetName: this.ruleSet.receiptRuleSetName },
        physicalResourceId: PhysicalResourceId.of(`${stack.stackName}-active-rule-set`),
      },
      onDelete: { service: 'SES', action: 'setActiveReceiptRuleSet', parameters: {} },
      policy: AwsCustomResourcePolicy.fromSdkCalls({ resources: AwsCustomResourcePolicy.ANY_RESOURCE }),
      installLatestAwsSdk: false,
    });
    Validations.of(activate).acknowledge({ id: 'AwsSolutions-IAM5[Resource::*]', reason: 'ses:SetActiveReceiptRuleSet has no resource-level permissions.' });
  }
}
