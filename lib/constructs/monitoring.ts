/**
 * Alarms and the dashboard. Every alarm notifies one SNS topic (alarm and OK), whose ARN is a stack output
 * the deployer subscribes to; its description says what to do. Function alarms live in the stack that holds
 * their functions (a nested stack per API feature), so no function crosses a stack boundary for them.
 */
import { ArnFormat, Aws, CfnOutput, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  MathExpression,
  Metric,
  TreatMissingData,
  type IMetric,
  type IWidget,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE, type MetricName } from '../metric-names.js';
import type { QueueDefinition } from '../queues.js';
import type { AppFunction } from './app-function.js';
import type { WorkQueue } from './work-queue.js';
import { SES_REVIEW_RATES } from '../auto-pause-defaults.js';

type AppQueue = { definition: QueueDefinition; construct: WorkQueue };

export interface MonitoringProps {
  /** Subscribed to the alarm topic by email (it must confirm the subscription once). */
  alarmEmail?: string;
  api: HttpApi;
  queues: Iterable<AppQueue>;
  /** Every application function; each gets an errors/throttles alarm in its own (nested) stack. */
  functions: readonly AppFunction[];
  campaignStateMachine: IStateMachine;
  /** Whether teams can be paused automatically (lib/auto-pause.ts): only then is there a TeamsPaused alarm. */
  autoPause: boolean;
}

const PERIOD = Duration.minutes(5);
/** CloudWatch allows 10 metrics per alarm: errors and throttles of this many functions. */
const FUNCTIONS_PER_ALARM = 5;
/** The API alarms above this share of 5xx answers, once a period has enough requests for a share to mean something. */
const API_5XX_PERCENT = 1;
const API_5XX_MIN_REQUESTS = 50;
/** SES computes reputation rates over a long window and publishes them a few times an hour. */
const SES_REPUTATION_PERIOD = Duration.hours(1);
/** The account's reputation rates, alarmed at SES's review thresholds; past `pausesAt` SES may pause all sending. */
const SES_REPUTATION = {
  bounce: { id: 'SesBounceRate', metricName: 'Reputation.BounceRate', threshold: SES_REVIEW_RATES.bounce, pausesAt: '10 %' },
  complaint: { id: 'SesComplaintRate', metricName: 'Reputation.ComplaintRate', threshold: SES_REVIEW_RATES.complaint, pausesAt: '0.5 %' },
} as const;

interface AlarmSpec {
  /** Appended to the stack name. */
  name: string;
  description: string;
  metric: IMetric;
  threshold: number;
  comparisonOperator: ComparisonOperator;
  treatMissingData: TreatMissingData;
}

export class Monitoring extends Construct {
  readonly topic: Topic;
  readonly dashboard: Dashboard;
  private readonly stackName: string;
  /** Every alarm, for the dashboard's status widget (a nested stack's alarm ARN reaches it through an output CDK adds). */
  private readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    this.stackName = Stack.of(this).stackName;
    this.topic = this.alarmTopic(props);
    const queues = [...props.queues];

    for (const queue of queues) this.deadLetterQueueAlarm(queue);
    this.apiServerErrorAlarm(props.api);
    this.sesReputationAlarms();
    this.campaignAlarm(props.campaignStateMachine);
    if (props.autoPause) this.teamsPausedAlarm();
    this.functionAlarms(props.functions);

    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: this.stackName,
      defaultInterval: Duration.hours(3),
      widgets: [
        [new AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24, height: 4 })],
        this.apiWidgets(props.api),
        this.lambdaWidgets(),
        this.queueWidgets(queues),
        this.sesWidgets(),
        this.mailroomWidgets(),
        this.campaignWidgets(props.campaignStateMachine),
      ],
    });

    new CfnOutput(this, 'AlarmTopicArn', {
      value: this.topic.topicArn,
      description: 'Every Mailroom alarm notifies this SNS topic: subscribe to it (README, Operations).',
    });
    new CfnOutput(this, 'DashboardUrl', {
      value: `https://${Aws.REGION}.console.aws.amazon.com/cloudwatch/home?region=${Aws.REGION}#dashboards:name=${this.stackName}`,
      description: 'The Mailroom CloudWatch dashboard',
    });
  }

  /**
   * SSE with a customer managed key: CloudWatch publishes to an encrypted topic only if the key's policy lets it
   * use the key, and the policy of the AWS managed key (alias/aws/sns) cannot be changed.
   */
  private alarmTopic(props: MonitoringProps): Topic {
    const stack = Stack.of(this);
    const masterKey = new Key(this, 'AlarmTopicKey', {
      description: 'Encrypts the Mailroom alarm topic',
      enableKeyRotation: true,
      // It protects messages in flight only, so nothing needs it after the stack is gone.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const topic = new Topic(this, 'AlarmTopic', { displayName: `${this.stackName} alarms`, masterKey, enforceSSL: true });
    const cloudWatch = new ServicePrincipal('cloudwatch.amazonaws.com');
    // Only for alarms of this account and region: no other account's alarm can make CloudWatch publish here.
    const fromOwnAlarms = {
      StringEquals: { 'aws:SourceAccount': stack.account },
      ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }) },
    };
    masterKey.addToResourcePolicy(
      new PolicyStatement({ principals: [cloudWatch], actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: ['*'], conditions: fromOwnAlarms }),
    );
    topic.addToResourcePolicy(new PolicyStatement({ principals: [cloudWatch], actions: ['sns:Publish'], resources: [topic.topicArn], conditions: fromOwnAlarms }));
    if (props.alarmEmail) topic.addSubscription(new EmailSubscription(props.alarmEmail));
    return topic;
  }

  /** Every alarm: one evaluation period, and the topic told when it fires and when it clears. */
  private alarm(scope: Construct, id: string, spec: AlarmSpec): Alarm {
    const alarm = new Alarm(scope, id, {
      alarmName: `${this.stackName}-${spec.name}`,
      alarmDescription: spec.description,
      metric: spec.metric,
      threshold: spec.threshold,
      comparisonOperator: spec.comparisonOperator,
      evaluationPeriods: 1,
      treatMissingData: spec.treatMissingData,
    });
    const action = new SnsAction(this.topic);
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
    this.alarms.push(alarm);
    return alarm;
  }

  private deadLetterQueueAlarm({ definition, construct }: AppQueue): void {
    this.alarm(this, `Dlq-${definition.name}`, {
      name: `dlq-${definition.name}`,
      description:
        `Messages of the ${definition.name} queue failed ${definition.maxReceiveCount} times and wait in its DLQ. ` +
        `The logs of its consumer (${this.label(construct.consumer)}) say why; fix the cause, then move them back: ` +
        `npm run redrive -- ${definition.name} --stack ${this.stackName}`,
      metric: construct.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: PERIOD }),
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      // SQS stops publishing for a queue nobody touches, even one holding messages: a gap must not read as emptied.
      treatMissingData: TreatMissingData.IGNORE,
    });
  }

  private apiServerErrorAlarm(api: HttpApi): void {
    this.alarm(this, 'Api5xx', {
      name: 'api-5xx-rate',
      description:
        `More than ${API_5XX_PERCENT} % of API requests answered 5xx over 5 minutes (with at least ${API_5XX_MIN_REQUESTS} requests). ` +
        'The function alarms and the dashboard show which routes fail; their logs hold the request ids the clients were given.',
      metric: new MathExpression({
        expression: `IF(requests >= ${API_5XX_MIN_REQUESTS}, 100 * FILL(errors, 0) / requests, 0)`,
        usingMetrics: { requests: api.metricCount({ statistic: 'Sum', period: PERIOD }), errors: api.metricServerError({ period: PERIOD }) },
        label: '5xx %',
        period: PERIOD,
      }),
      threshold: API_5XX_PERCENT,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      // No requests, no data: an idle API is healthy.
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
  }

  private sesReputationAlarms(): void {
    const nextSteps =
      'Bounces and Complaints on the dashboard show when it started, GET /v1/stats of each team whose mail it is. ' +
      'With autoPause on, a team past its own limit is paused already (teams-paused alarm).';
    for (const [kind, { id, metricName, threshold, pausesAt }] of Object.entries(SES_REPUTATION)) {
      this.alarm(this, id, {
        name: `ses-${kind}-rate`,
        description: `The account's SES ${kind} rate is above ${threshold * 100} %, where SES puts the account under review (at ${pausesAt} it may pause all sending). ${nextSteps}`,
        metric: sesReputationMetric(metricName),
        threshold,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        // Reputation rates arrive only from time to time: between two values the last one still holds.
        treatMissingData: TreatMissingData.IGNORE,
      });
    }
  }

  private campaignAlarm(stateMachine: IStateMachine): void {
    this.alarm(this, 'CampaignExecutions', {
      name: 'campaign-executions-failed',
      description:
        'Campaign enrolment executions failed or timed out. A step that exhausts its retries ends its enrolment with reason error instead, ' +
        "so this is something else: the failed executions in the Step Functions console show the state and error.",
      metric: new MathExpression({
        expression: 'FILL(failed, 0) + FILL(timedOut, 0)',
        usingMetrics: { failed: stateMachine.metricFailed({ period: PERIOD }), timedOut: stateMachine.metricTimedOut({ period: PERIOD }) },
        label: 'failed + timed out',
        period: PERIOD,
      }),
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
  }

  private teamsPausedAlarm(): void {
    this.alarm(this, 'TeamsPaused', {
      name: 'teams-paused',
      description:
        "A team's own bounce or complaint rate crossed the autoPause limit (README, Operations) and its sending was paused; " +
        'the log line that paused it names the team. Look at its recent bounces and complaints, and resume its sending with the root key once its lists are clean. ' +
        'The alarm returns to OK after 5 minutes without a new pause.',
      metric: this.mailroomMetric('TeamsPaused'),
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      // Emitted only when a team is paused.
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
  }

  /** One alarm per (at most) five functions of a stack, on the sum of their errors and throttles. */
  private functionAlarms(functions: readonly AppFunction[]): void {
    const byStack = new Map<Stack, AppFunction[]>();
    for (const fn of functions) byStack.set(Stack.of(fn), [...(byStack.get(Stack.of(fn)) ?? []), fn]);
    const root = Stack.of(this);
    for (const [stack, stackFunctions] of byStack) {
      const group = stack === root ? 'core' : stack.node.id;
      const scope = stack === root ? this : new Construct(stack, 'Monitoring');
      for (let start = 0; start < stackFunctions.length; start += FUNCTIONS_PER_ALARM) {
        const chunk = stackFunctions.slice(start, start + FUNCTIONS_PER_ALARM);
        const index = start / FUNCTIONS_PER_ALARM + 1;
        const usingMetrics: Record<string, IMetric> = {};
        chunk.forEach((fn, i) => {
          usingMetrics[`errors${i}`] = fn.function.metricErrors({ period: PERIOD });
          usingMetrics[`throttles${i}`] = fn.function.metricThrottles({ period: PERIOD });
        });
        // A function that was not invoked has no datapoints, and a sum with a missing term is missing.
        const expression = Object.keys(usingMetrics).map((key) => `FILL(${key}, 0)`).join(' + ');
        this.alarm(scope, `Functions${index}`, {
          name: `functions-${group}-${index}`,
          description:
            `A function failed (an unhandled error or a timeout) or was throttled: ${chunk.map((fn) => this.label(fn)).join(', ')}. ` +
            "The alarm's metrics name the function and its log group has the error; throttles mean the account's Lambda concurrency ran out.",
          metric: new MathExpression({ expression, usingMetrics, label: 'errors + throttles', period: PERIOD }),
          threshold: 1,
          comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          // Idle functions publish nothing and are healthy.
          treatMissingData: TreatMissingData.NOT_BREACHING,
        });
      }
    }
  }

  /** Where the function sits in the app, e.g. `Api/Routes-emails/emails.send` or `Queue-send/Consumer`. */
  private label(fn: AppFunction): string {
    return fn.node.path.split('/').slice(1).join('/');
  }

  private mailroomMetric(name: MetricName): Metric {
    return new Metric({ namespace: METRICS_NAMESPACE, metricName: name, statistic: 'Sum', period: PERIOD, label: name });
  }

  private apiWidgets(api: HttpApi): IWidget[] {
    return [
      new GraphWidget({ title: 'API requests', left: [api.metricCount({ statistic: 'Sum', period: PERIOD, label: 'requests' })], width: 8 }),
      new GraphWidget({
        title: 'API 4xx / 5xx',
        left: [api.metricClientError({ period: PERIOD, label: '4xx' }), api.metricServerError({ period: PERIOD, label: '5xx' })],
        width: 8,
      }),
      new GraphWidget({
        title: 'API latency',
        left: [api.metricLatency({ statistic: 'p50', period: PERIOD, label: 'p50' }), api.metricLatency({ statistic: 'p99', period: PERIOD, label: 'p99' })],
        width: 8,
      }),
    ];
  }

  /**
   * The functions live in many nested stacks, so these graphs find them with SEARCH (allowed in graphs, never in
   * alarms) on the stack name every function name starts with, and show the ten worst.
   */
  private lambdaWidgets(): IWidget[] {
    const worst = (metricName: string, statistic: string, rankBy: string) =>
      new MathExpression({
        expression: `SORT(SEARCH('{AWS/Lambda,FunctionName} MetricName="${metricName}" ${this.stackName}', '${statistic}', ${PERIOD.toSeconds()}), ${rankBy}, DESC, 10)`,
        usingMetrics: {},
        label: '',
        period: PERIOD,
      });
    return [
      new GraphWidget({ title: 'Lambda errors (10 worst functions)', left: [worst('Errors', 'Sum', 'SUM')], width: 8 }),
      new GraphWidget({ title: 'Lambda throttles (10 worst functions)', left: [worst('Throttles', 'Sum', 'SUM')], width: 8 }),
      new GraphWidget({ title: 'Lambda duration p99 (10 slowest functions)', left: [worst('Duration', 'p99', 'MAX')], width: 8 }),
    ];
  }

  private queueWidgets(queues: readonly AppQueue[]): IWidget[] {
    const graph = (title: string, metric: (queue: AppQueue) => IMetric) => new GraphWidget({ title, left: queues.map(metric), width: 8 });
    return [
      graph('Queues: visible messages', ({ definition, construct }) =>
        construct.queue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: PERIOD, label: definition.name }),
      ),
      graph('Queues: age of oldest message (s)', ({ definition, construct }) =>
        construct.queue.metricApproximateAgeOfOldestMessage({ statistic: 'Maximum', period: PERIOD, label: definition.name }),
      ),
      graph('DLQs: messages', ({ definition, construct }) =>
        construct.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: PERIOD, label: definition.name }),
      ),
    ];
  }

  private sesWidgets(): IWidget[] {
    const ses = (metricName: string) => new Metric({ namespace: 'AWS/SES', metricName, statistic: 'Sum', period: PERIOD, label: metricName });
    const { bounce, complaint } = SES_REPUTATION;
    return [
      new GraphWidget({
        title: 'SES: sends, deliveries (left), bounces, complaints (right)',
        left: ['Send', 'Delivery'].map(ses),
        right: ['Bounce', 'Complaint'].map(ses),
        width: 12,
      }),
      new GraphWidget({
        title: 'SES reputation: bounce rate (left), complaint rate (right), with the alarm thresholds',
        left: [sesReputationMetric(bounce.metricName, bounce.metricName)],
        right: [sesReputationMetric(complaint.metricName, complaint.metricName)],
        leftAnnotations: [{ value: bounce.threshold, label: 'bounce alarm' }],
        rightAnnotations: [{ value: complaint.threshold, label: 'complaint alarm' }],
        width: 12,
      }),
    ];
  }

  private mailroomWidgets(): IWidget[] {
    const graph = (title: string, names: readonly MetricName[]) =>
      new GraphWidget({ title, left: names.map((name) => this.mailroomMetric(name)), width: 6 });
    return [
      graph('Emails', ['EmailsAccepted', 'EmailsSent', 'EmailsFailed']),
      graph('Delivery events', ['Deliveries', 'Bounces', 'Complaints']),
      graph('Inbound and webhooks', ['InboundMessages', 'WebhookAttempts', 'WebhookFailures']),
      graph('DLQ moves and paused teams', ['DlqMoves', 'TeamsPaused']),
    ];
  }

  private campaignWidgets(stateMachine: IStateMachine): IWidget[] {
    return [
      new GraphWidget({
        title: 'Campaign enrolment executions',
        left: [
          stateMachine.metricStarted({ period: PERIOD, label: 'started' }),
          stateMachine.metricSucceeded({ period: PERIOD, label: 'succeeded' }),
          stateMachine.metricFailed({ period: PERIOD, label: 'failed' }),
          stateMachine.metricTimedOut({ period: PERIOD, label: 'timed out' }),
        ],
        width: 24,
      }),
    ];
  }
}

/** A reputation rate as CloudWatch publishes it; `label` for graphs (an alarm on a labelled metric renders as metric math). */
function sesReputationMetric(metricName: string, label?: string): Metric {
  return new Metric({ namespace: 'AWS/SES', metricName, statistic: 'Maximum', period: SES_REPUTATION_PERIOD, label });
}
