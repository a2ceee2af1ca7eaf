/**
 * `npm run redrive` against a deployed stack (scripts/redrive.ts), with SQS and CloudFormation played by fakes:
 * the DLQ found through the stack output every WorkQueue declares, SQS's message move task started and waited
 * for, and the arguments. The local path runs for real in the fault tests (test/faults/ses.test.ts, test/faults/webhooks.test.ts).
 */
import { describe, expect, it, vi } from 'vitest';
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  GetQueueAttributesCommand,
  ListDeadLetterSourceQueuesCommand,
  ListMessageMoveTasksCommand,
  StartMessageMoveTaskCommand,
  type ListMessageMoveTasksResultEntry,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { DescribeStacksCommand, type CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { WorkQueue } from '../../lib/constructs/work-queue.js';
import { deadLetterQueueOutputKey } from '../../lib/queue-outputs.js';
import { QUEUES, queueByName } from '../../lib/queues.js';
import { moveWithTask, parseOptions, RedriveError, stackQueues } from '../../scripts/redrive.js';

// The consumer's bundle is not what these tests are about: an inline function spares hashing the project for an asset.
vi.mock('../../lib/constructs/app-function.js', async () => {
  const { Construct } = await import('constructs');
  const { Code, Function, Runtime } = await import('aws-cdk-lib/aws-lambda');
  return {
    AppFunction: class extends Construct {
      readonly function = new Function(this, 'Function', { runtime: Runtime.NODEJS_22_X, handler: 'index.handler', code: Code.fromInline('export const handler = async () => {};') });
    },
  };
});

const DLQ_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/Mailroom-prod-QueuesendDeadLetterQueue-AbC';
const DLQ_ARN = 'arn:aws:sqs:eu-west-1:123456789012:Mailroom-prod-QueuesendDeadLetterQueue-AbC';
const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/Mailroom-prod-QueuesendQueue-XyZ';

/** A client whose `send` answers by command class; every command sent is kept. */
function fake<T>(answer: (command: object) => unknown) {
  const sent: object[] = [];
  const client = { send: async (command: object) => (sent.push(command), answer(command)) } as unknown as T;
  return { client, sent };
}

const cloudFormation = (outputs: Record<string, string>) =>
  fake<CloudFormationClient>((command) => {
    if (command instanceof DescribeStacksCommand) return { Stacks: [{ Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })) }] };
    throw new Error(`unexpected ${command.constructor.name}`);
  });

describe('the stack outputs redrive reads', () => {
  it('every WorkQueue declares its DLQ URL under the key the script looks for', () => {
    expect(deadLetterQueueOutputKey('webhook-delivery')).toBe('WebhookDeliveryDeadLetterQueueUrl');
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Queues');
    const queue = new WorkQueue(stack, 'Queue-send', { definition: queueByName('send'), logRetention: RetentionDays.ONE_DAY, removalPolicy: RemovalPolicy.DESTROY });
    const outputs = Template.fromStack(stack).findOutputs('*');
    expect(Object.keys(outputs)).toEqual(['SendDeadLetterQueueUrl']);
    expect(outputs.SendDeadLetterQueueUrl!.Value).toEqual({ Ref: stack.getLogicalId(queue.deadLetterQueue.node.defaultChild as never) });
    // Keys are unique across queues: one output per queue in the one stack.
    expect(new Set(QUEUES.map((q) => deadLetterQueueOutputKey(q.name))).size).toBe(QUEUES.length);
  });
});

describe('redrive on a deployed stack', () => {
  it('finds the DLQ from the stack outputs and the queue from the DLQ', async () => {
    const cfn = cloudFormation({ SendDeadLetterQueueUrl: DLQ_URL });
    const sqs = fake<SQSClient>((command) => {
      if (command instanceof ListDeadLetterSourceQueuesCommand) return { queueUrls: [QUEUE_URL] };
      throw new Error(`unexpected ${command.constructor.name}`);
    });
    const locator = stackQueues(sqs.client, cfn.client, 'Mailroom-prod');
    expect(await locator.dlqUrl('send')).toBe(DLQ_URL);
    expect(await locator.queueUrl('send')).toBe(QUEUE_URL);
    expect(cfn.sent).toHaveLength(1);
    expect((cfn.sent[0] as DescribeStacksCommand).input).toEqual({ StackName: 'Mailroom-prod' });
  });

  it('says what to do when the stack predates the outputs', async () => {
    const locator = stackQueues(fake<SQSClient>(() => ({})).client, cloudFormation({}).client, 'Mailroom-prod');
    await expect(locator.dlqUrl('send')).rejects.toThrow(/no output SendDeadLetterQueueUrl: deploy this version/);
  });

  it("starts SQS's message move task back to the source queue and waits until it completes", async () => {
    // Before the start and right after it, the newest task is an earlier one (its count must not be taken for this one's).
    const earlier: ListMessageMoveTasksResultEntry = { Status: 'COMPLETED', StartedTimestamp: 1, ApproximateNumberOfMessagesMoved: 99 };
    const polls: ListMessageMoveTasksResultEntry[] = [
      earlier,
      earlier,
      { Status: 'RUNNING', TaskHandle: 'h', StartedTimestamp: 2, ApproximateNumberOfMessagesMoved: 2, ApproximateNumberOfMessagesToMove: 5 },
      { Status: 'COMPLETED', StartedTimestamp: 2, ApproximateNumberOfMessagesMoved: 5, ApproximateNumberOfMessagesToMove: 5 },
    ];
    const sqs = fake<SQSClient>((command) => {
      if (command instanceof GetQueueAttributesCommand) return { Attributes: { QueueArn: DLQ_ARN } };
      if (command instanceof StartMessageMoveTaskCommand) return { TaskHandle: 'h' };
      if (command instanceof ListMessageMoveTasksCommand) return { Results: [polls.shift()] };
      throw new Error(`unexpected ${command.constructor.name}`);
    });
    const progress: number[] = [];
    const moved = await moveWithTask(sqs.client, DLQ_URL, { pollMs: 1, onProgress: (t) => progress.push(t.ApproximateNumberOfMessagesMoved!) });
    expect(moved).toBe(5);
    expect(progress).toEqual([2]);
    // No destination: SQS sends each message back to the queue it came from.
    expect((sqs.sent.find((c) => c instanceof StartMessageMoveTaskCommand) as StartMessageMoveTaskCommand).input).toEqual({ SourceArn: DLQ_ARN });
  });

  it('fails with the reason of a failed task', async () => {
    let started = false;
    const sqs = fake<SQSClient>((command) => {
      if (command instanceof GetQueueAttributesCommand) return { Attributes: { QueueArn: DLQ_ARN } };
      if (command instanceof StartMessageMoveTaskCommand) return (started = true), { TaskHandle: 'h' };
      // The DLQ's first task: nothing is listed before it starts.
      return { Results: started ? [{ Status: 'FAILED', StartedTimestamp: 2, FailureReason: 'AWS.SimpleQueueService.NonExistentQueue' }] : [] };
    });
    await expect(moveWithTask(sqs.client, DLQ_URL, { pollMs: 1 })).rejects.toThrow(new RedriveError('message move task FAILED: AWS.SimpleQueueService.NonExistentQueue'));
  });
});

describe('arguments', () => {
  it('takes queue names, --list, the stack or stage, and goes local with --local or an SQS endpoint', () => {
    expect(parseOptions(['send'], {})).toEqual({ list: false, queues: ['send'], local: false, stack: 'Mailroom-prod', prefix: 'mailroom' });
    expect(parseOptions(['--list', '--stage', 'dev'], {})).toMatchObject({ list: true, queues: [], stack: 'Mailroom-dev' });
    expect(parseOptions(['send', '--stack', 'Mail'], {}).stack).toBe('Mail');
    expect(parseOptions(['send', '--local', '--prefix', 'x'], {})).toMatchObject({ local: true, prefix: 'x' });
    expect(parseOptions(['webhook-delivery'], { AWS_ENDPOINT_URL_SQS: 'http://127.0.0.1:1' }).local).toBe(true);
  });

  it('refuses unknown queues and a call with nothing to do', () => {
    expect(() => parseOptions(['sendd'], {})).toThrow(/unknown queue sendd; the queues are team-purge, send,/);
    expect(() => parseOptions([], {})).toThrow(/name a queue/);
  });
});
