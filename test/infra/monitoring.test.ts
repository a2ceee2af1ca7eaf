/**
 * Alarms, the alarm topic, the dashboard and the automatic pause settings, asserted on the synthesized templates
 * (bundling skipped, as in stack.test.ts).
 */
import { synthMailroom, type Resource } from '../support/synth-stack.js';
import { describe, expect, it } from 'vitest';
import type { MailroomStackProps } from '../../lib/mailroom-stack.js';
import { QUEUES } from '../../lib/queues.js';
import { ROUTES } from '../../lib/routes.js';
import { METRIC_NAMES, METRICS_NAMESPACE } from '../../lib/metric-names.js';
import { autoPauseEnvironment, DEFAULT_AUTO_PAUSE, parseAutoPause } from '../../lib/auto-pause.js';

function synth(props: Partial<MailroomStackProps>) {
  const synthesized = synthMailroom({ corsOrigins: [], defaultSendingDomain: undefined, ...props });
  return { stacks: synthesized.templates(), parent: synthesized.templates()[0]!.template, all: synthesized.resources };
}

const deployed = synth({ alarmEmail: 'ops@example.com', autoPause: { bounceRate: 0.04, complaintRate: 0.002, minSends: 100 } });
const alarms = deployed.all('AWS::CloudWatch::Alarm');
const alarmNamed = (name: string) => alarms.find((a) => a.Properties.AlarmName === `Test-prod-${name}`);
/** AppFunction sets POWERTOOLS_SERVICE_NAME; CDK's own custom resource providers do not. */
const appFunctions = deployed.all('AWS::Lambda::Function').filter((f) => f.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME);
const metricStats = (alarm: Resource): { Metric: { Namespace: string; MetricName: string; Dimensions?: { Name: string; Value: any }[] } }[] =>
  alarm.Properties.Metrics ? alarm.Properties.Metrics.filter((m: any) => m.MetricStat).map((m: any) => m.MetricStat) : [{ Metric: alarm.Properties }];

describe('alarm topic', () => {
  const [topicId, topicResource] = Object.entries(deployed.parent.findResources('AWS::SNS::Topic', { Properties: { DisplayName: 'Test-prod alarms' } }))[0] as [string, Resource];

  it('is encrypted with a rotated customer managed key that CloudWatch may use, and is TLS only', () => {
    const keyId = topicResource.Properties.KmsMasterKeyId['Fn::GetAtt'][0];
    const key = deployed.parent.toJSON().Resources[keyId];
    expect(key.Type).toBe('AWS::KMS::Key');
    expect(key.Properties.EnableKeyRotation).toBe(true);
    const cloudWatch = key.Properties.KeyPolicy.Statement.find((s: any) => s.Principal?.Service === 'cloudwatch.amazonaws.com');
    expect(cloudWatch.Action).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
    expect(cloudWatch.Condition.StringEquals['aws:SourceAccount']).toBeDefined();

    const [policy] = Object.values(deployed.parent.findResources('AWS::SNS::TopicPolicy')).filter((p: any) => JSON.stringify(p.Properties.Topics) === JSON.stringify([{ Ref: topicId }]));
    const statements = (policy as Resource).Properties.PolicyDocument.Statement;
    expect(statements).toContainEqual(expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }));
    expect(statements).toContainEqual(expect.objectContaining({ Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'sns:Publish' }));
  });

  it('is a stack output, and alarmEmail subscribes an address to it', () => {
    const outputs = deployed.parent.toJSON().Outputs;
    const output = Object.entries(outputs).find(([id]) => id.includes('AlarmTopicArn'));
    expect((output![1] as any).Value).toEqual({ Ref: topicId });
    const subscriptions = deployed.all('AWS::SNS::Subscription').filter((s) => s.Properties.Protocol === 'email');
    expect(subscriptions).toHaveLength(1);
    expect(subscriptions[0]!.Properties).toMatchObject({ Endpoint: 'ops@example.com', TopicArn: { Ref: topicId } });
  });

  it('every alarm notifies it when it fires and when it clears, handles missing data on purpose and says what to do', () => {
    expect(alarms.length).toBeGreaterThan(0);
    for (const alarm of alarms) {
      const name = alarm.Properties.AlarmName;
      // A nested stack receives the topic's ARN as a parameter from its parent.
      const topicArn = (ref: any) => (alarm.stack.parameters ? alarm.stack.parameters[ref.Ref] : ref);
      expect(alarm.Properties.AlarmActions.map(topicArn), name).toEqual([{ Ref: topicId }]);
      expect(alarm.Properties.OKActions.map(topicArn), name).toEqual([{ Ref: topicId }]);
      expect(['ignore', 'notBreaching'], name).toContain(alarm.Properties.TreatMissingData);
      expect(alarm.Properties.AlarmDescription.length, name).toBeGreaterThan(80);
    }
  });
});

describe('alarms', () => {
  it('one per DLQ, telling how to redrive it', () => {
    const deadLetterQueueIds = deployed
      .all('AWS::SQS::Queue')
      .filter((q) => q.Properties.RedrivePolicy)
      .map((q) => q.Properties.RedrivePolicy.deadLetterTargetArn['Fn::GetAtt'][0]);
    expect(deadLetterQueueIds).toHaveLength(QUEUES.length);
    for (const definition of QUEUES) {
      const alarm = alarmNamed(`dlq-${definition.name}`);
      expect(alarm, definition.name).toBeDefined();
      expect(alarm!.Properties).toMatchObject({ MetricName: 'ApproximateNumberOfMessagesVisible', Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' });
      const queueId = alarm!.Properties.Dimensions[0].Value['Fn::GetAtt'][0];
      expect(deadLetterQueueIds).toContain(queueId);
      expect(queueId.startsWith(`Queue${definition.name.replaceAll('-', '')}DeadLetterQueue`), definition.name).toBe(true);
      expect(alarm!.Properties.AlarmDescription).toContain(`npm run redrive -- ${definition.name} --stack Test-prod`);
    }
    expect(alarms.filter((a) => a.Properties.MetricName === 'ApproximateNumberOfMessagesVisible')).toHaveLength(QUEUES.length);
  });

  it('cover errors and throttles of every app function, five functions per alarm, in the stack of the functions', () => {
    expect(appFunctions).toHaveLength(ROUTES.length + 1 + QUEUES.length + 2);
    const functionAlarms = alarms.filter((a) => a.Properties.AlarmName.startsWith('Test-prod-functions-'));
    for (const alarm of functionAlarms) {
      const stats = metricStats(alarm);
      expect(stats.length, alarm.Properties.AlarmName).toBeLessThanOrEqual(10);
      expect(alarm.Properties.Metrics.filter((m: any) => m.ReturnData !== false)).toHaveLength(1);
    }
    for (const fn of appFunctions) {
      const covering = functionAlarms
        .filter((a) => a.stack === fn.stack)
        .flatMap((a) => metricStats(a))
        .filter((s) => s.Metric.Namespace === 'AWS/Lambda' && s.Metric.Dimensions?.[0]?.Value?.Ref === fn.id)
        .map((s) => s.Metric.MetricName);
      expect(covering.sort(), `${fn.stack.name} ${fn.id}`).toEqual(['Errors', 'Throttles']);
    }
    const perStack = new Map<string, number>();
    for (const fn of appFunctions) perStack.set(fn.stack.name, (perStack.get(fn.stack.name) ?? 0) + 1);
    const expected = [...perStack.values()].reduce((sum, count) => sum + Math.ceil(count / 5), 0);
    expect(functionAlarms).toHaveLength(expected);
  });

  it('the API 5xx rate: more than 1 % of at least 50 requests', () => {
    const alarm = alarmNamed('api-5xx-rate')!;
    const expression = alarm.Properties.Metrics.find((m: any) => m.Expression).Expression;
    expect(expression).toMatch(/requests >= 50/);
    expect(metricStats(alarm).map((s) => [s.Metric.Namespace, s.Metric.MetricName, s.Metric.Dimensions![0]!.Name]).sort()).toEqual([
      ['AWS/ApiGateway', '5xx', 'ApiId'],
      ['AWS/ApiGateway', 'Count', 'ApiId'],
    ]);
    expect(alarm.Properties).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanThreshold', TreatMissingData: 'notBreaching' });
  });

  it("the account's SES reputation at SES's review thresholds", () => {
    expect(alarmNamed('ses-bounce-rate')!.Properties).toMatchObject({
      Namespace: 'AWS/SES',
      MetricName: 'Reputation.BounceRate',
      Threshold: 0.05,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    expect(alarmNamed('ses-complaint-rate')!.Properties).toMatchObject({
      Namespace: 'AWS/SES',
      MetricName: 'Reputation.ComplaintRate',
      Threshold: 0.001,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    for (const name of ['ses-bounce-rate', 'ses-complaint-rate']) expect(alarmNamed(name)!.Properties.Dimensions).toBeUndefined();
  });

  it('campaign executions that fail or time out', () => {
    const alarm = alarmNamed('campaign-executions-failed')!;
    expect(metricStats(alarm).map((s) => s.Metric.MetricName).sort()).toEqual(['ExecutionsFailed', 'ExecutionsTimedOut']);
    expect(JSON.stringify(metricStats(alarm))).toContain('CampaignsEnrolments');
  });

  it('teams paused automatically: the custom metric without dimensions', () => {
    const alarm = alarmNamed('teams-paused')!;
    expect(metricStats(alarm)).toEqual([{ Metric: { Namespace: METRICS_NAMESPACE, MetricName: 'TeamsPaused' }, Period: 300, Stat: 'Sum' }]);
    expect(alarm.Properties).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
  });
});

describe('dashboard', () => {
  const dashboards = deployed.all('AWS::CloudWatch::Dashboard');
  // The body is a Fn::Join of JSON text and references; a placeholder stands in for the references.
  const parts: unknown[] = dashboards[0]!.Properties.DashboardBody['Fn::Join'][1];
  const body = JSON.parse(parts.map((p) => (typeof p === 'string' ? p : 'ref')).join(''));
  const graphed: unknown[][] = body.widgets.flatMap((w: any) => w.properties.metrics ?? []);
  const has = (namespace: string, metricName: string) => graphed.some((m) => m[0] === namespace && m[1] === metricName);

  it('is one dashboard: API, Lambda, queue and SES graphs', () => {
    expect(dashboards).toHaveLength(1);
    expect(dashboards[0]!.Properties.DashboardName).toBe('Test-prod');
    for (const name of ['Count', '4xx', '5xx', 'Latency']) expect(has('AWS/ApiGateway', name), name).toBe(true);
    const searches = graphed.map((m) => (m[0] as { expression?: string }).expression).filter(Boolean);
    for (const name of ['Errors', 'Throttles', 'Duration']) {
      expect(searches, name).toContainEqual(expect.stringContaining(`SEARCH('{AWS/Lambda,FunctionName} MetricName="${name}" Test-prod'`));
    }
    const queueLabels = graphed.filter((m) => m[0] === 'AWS/SQS').map((m) => (m.at(-1) as { label: string }).label);
    // Each queue: its visible messages, the age of its oldest message, and its DLQ's depth.
    for (const definition of QUEUES) expect(queueLabels.filter((l) => l === definition.name), definition.name).toHaveLength(3);
    expect(has('AWS/SQS', 'ApproximateAgeOfOldestMessage')).toBe(true);
    for (const name of ['Send', 'Delivery', 'Bounce', 'Complaint', 'Reputation.BounceRate', 'Reputation.ComplaintRate']) expect(has('AWS/SES', name), name).toBe(true);
  });

  it('graphs every custom metric', () => {
    for (const name of METRIC_NAMES) expect(has(METRICS_NAMESPACE, name), name).toBe(true);
  });
});

describe('automatic pause', () => {
  it('hands its limits to every function', () => {
    for (const fn of appFunctions) {
      expect(fn.Properties.Environment.Variables, fn.id).toMatchObject({ TEAM_PAUSE_BOUNCE_RATE: '0.04', TEAM_PAUSE_COMPLAINT_RATE: '0.002', TEAM_PAUSE_MIN_SENDS: '100' });
    }
  });

  it('autoPause: false leaves the variables unset', () => {
    const off = synth({ autoPause: false });
    const functions = off.all('AWS::Lambda::Function');
    expect(functions.length).toBeGreaterThan(0);
    for (const fn of functions) expect(JSON.stringify(fn.Properties.Environment ?? {}), fn.id).not.toContain('TEAM_PAUSE_');
    expect(off.all('AWS::CloudWatch::Alarm').filter((a) => String(a.Properties.AlarmName).includes('teams-paused'))).toHaveLength(0);
    expect(off.all('AWS::SNS::Subscription').filter((s) => s.Properties.Protocol === 'email')).toHaveLength(0);
  });

  it('reads the context: absent or true → defaults, false → off, an object or its JSON overrides the defaults', () => {
    expect(DEFAULT_AUTO_PAUSE).toEqual({ bounceRate: 0.05, complaintRate: 0.001, minSends: 200 });
    expect(parseAutoPause(undefined)).toEqual(DEFAULT_AUTO_PAUSE);
    expect(parseAutoPause('true')).toEqual(DEFAULT_AUTO_PAUSE);
    expect(parseAutoPause(false)).toBe(false);
    expect(parseAutoPause('false')).toBe(false);
    expect(parseAutoPause({ minSends: 500 })).toEqual({ ...DEFAULT_AUTO_PAUSE, minSends: 500 });
    expect(parseAutoPause('{"bounceRate":0.03}')).toEqual({ ...DEFAULT_AUTO_PAUSE, bounceRate: 0.03 });
    expect(() => parseAutoPause({ bounceRate: 5 })).toThrow(/autoPause/);
    expect(() => parseAutoPause({ bounceRatio: 0.1 })).toThrow(/autoPause/);
    expect(autoPauseEnvironment(DEFAULT_AUTO_PAUSE)).toEqual({ TEAM_PAUSE_BOUNCE_RATE: '0.05', TEAM_PAUSE_COMPLAINT_RATE: '0.001', TEAM_PAUSE_MIN_SENDS: '200' });
    expect(autoPauseEnvironment(false)).toEqual({});
  });
});
