/**
 * Campaign enrolments on Step Functions: the step function and the one standard state machine every
 * enrolment runs as (definition in lib/campaign-state-machine.ts, shared with the local runtime). Standard,
 * not Express: enrolments wait for days, and a waiting execution costs nothing.
 */
import { Validations, type RemovalPolicy } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { campaignStateMachineDefinition } from '../campaign-state-machine.js';
import { AppFunction } from './app-function.js';

export interface CampaignEngineProps {
  logRetention: RetentionDays;
  removalPolicy: RemovalPolicy;
  environment: Record<string, string>;
}

export class CampaignEngine extends Construct {
  readonly stepFunction: AppFunction;
  readonly stateMachine: StateMachine;

  constructor(scope: Construct, id: string, props: CampaignEngineProps) {
    super(scope, id);
    this.stepFunction = new AppFunction(this, 'Step', {
      entry: 'functions/workers/campaign-step.ts',
      description: 'Runs campaign enrolment steps (invoked by the campaign state machine)',
      timeoutSeconds: 60,
      memoryMb: 512,
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
      environment: props.environment,
    });
    this.stateMachine = new StateMachine(this, 'Enrolments', {
      comment: 'Mailroom campaign enrolments: one execution per enrolment run',
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromString(JSON.stringify(campaignStateMachineDefinition(this.stepFunction.function.functionArn))),
      tracingEnabled: true,
      // Every transition, without its input and output: the history of an enrolment, never contact data.
      logs: {
        destination: new LogGroup(this, 'Logs', { retention: props.logRetention, removalPolicy: props.removalPolicy }),
        level: LogLevel.ALL,
        includeExecutionData: false,
      },
    });
    // The definition invokes the unqualified function ARN: grantInvoke would add every version and alias (`:*`).
    this.stateMachine.addToRolePolicy(new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [this.stepFunction.function.functionArn] }));
    Validations.of(this.stateMachine).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'CloudWatch Logs delivery and X-Ray actions, which Step Functions needs for logging and tracing, have no resource-level permissions.',
    });
  }
}
