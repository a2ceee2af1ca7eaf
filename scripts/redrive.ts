/**
 * `npm run redrive -- <queue>…` moves every message of each queue's DLQ back to the queue, to be processed again
 * once what made it fail is fixed. `npm run redrive -- --list` shows how many messages each DLQ holds.
 *
 * A deployed stack (the default): the DLQ URLs come from the stack's outputs (lib/queue-outputs.ts) and SQS's own
 * redrive (StartMessageMoveTask) moves the messages to the queue they came from; the command waits until it ends.
 *   --stack <name>   the stack (default Mailroom-<stage>)     --stage <stage>   (default prod)
 *   Region and credentials are the AWS SDK's usual ones (AWS_REGION, AWS_PROFILE, …).
 * The local stack (--local, or when AWS_ENDPOINT_URL_SQS is set): the queues of `npm run dev` at
 * AWS_ENDPOINT_URL_SQS or http://127.0.0.1:$MAILROOM_SQS_PORT (8789). The emulator has no message move tasks, so
 * each message is received, sent to the queue with its body and attributes, then deleted from the DLQ.
 *   --prefix <prefix>   the local queue names' prefix (default: the dev server's)
 *
 * Moving is at least once (as SQS's own redrive): every consumer already copes with a message seen twice.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListDeadLetterSourceQueuesCommand,
  ListMessageMoveTasksCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
  type ListMessageMoveTasksResultEntry,
  type MessageAttributeValue,
} from '@aws-sdk/client-sqs';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { QUEUES } from '../lib/queues.js';
import { deadLetterQueueOutputKey } from '../lib/queue-outputs.js';
import { LOCAL_AWS } from '../local/aws-env.js';
import { DEFAULT_QUEUE_PREFIX, localDeadLetterQueueName, localQueueName } from '../local/provision.js';

const QUEUE_NAMES: readonly string[] = QUEUES.map((q) => q.name);
const MOVE_POLL_MS = 2000;

/** Where a queue and its DLQ are. */
export interface QueueLocator {
  describe: string;
  dlqUrl(queue: string): Promise<string>;
  /** The queue the DLQ's messages go back to. */
  queueUrl(queue: string): Promise<string>;
}

export class RedriveError extends Error {}

/** The queues of a local stack and their DLQs, named as local/provision.ts names them. */
export function localQueues(sqs: SQSClient, endpoint: string, prefix: string): QueueLocator {
  const url = async (name: string) => {
    try {
      return (await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl!;
    } catch (error) {
      const reason = (error as Error).name === 'QueueDoesNotExist' ? 'no such queue' : (error as Error).message;
      throw new RedriveError(`${name} at ${endpoint}: ${reason} (is \`npm run dev\` running, with this queue prefix?)`);
    }
  };
  return {
    describe: `local queues ${prefix}-* at ${endpoint}`,
    dlqUrl: (queue) => url(localDeadLetterQueueName(localQueueName(prefix, { name: queue }))),
    queueUrl: (queue) => url(localQueueName(prefix, { name: queue })),
  };
}

/** The queues of a deployed stack: DLQs from its outputs, each queue from its DLQ's redrive source. */
export function stackQueues(sqs: SQSClient, cloudFormation: CloudFormationClient, stackName: string): QueueLocator {
  let outputs: Promise<Map<string, string>> | undefined;
  const loadOutputs = async () => {
    const { Stacks = [] } = await cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }));
    return new Map((Stacks[0]?.Outputs ?? []).map((o) => [o.OutputKey!, o.OutputValue!]));
  };
  const dlqUrl = async (queue: string) => {
    const url = (await (outputs ??= loadOutputs())).get(deadLetterQueueOutputKey(queue));
    if (!url) throw new RedriveError(`stack ${stackName} has no output ${deadLetterQueueOutputKey(queue)}: deploy this version of Mailroom first`);
    return url;
  };
  return {
    describe: `stack ${stackName}`,
    dlqUrl,
    queueUrl: async (queue) => {
      const { queueUrls = [] } = await sqs.send(new ListDeadLetterSourceQueuesCommand({ QueueUrl: await dlqUrl(queue) }));
      if (queueUrls.length !== 1) throw new RedriveError(`the DLQ of ${queue} serves ${queueUrls.length} queues, expected 1`);
      return queueUrls[0]!;
    },
  };
}

/** Messages a queue holds: waiting, in flight and delayed. */
export async function depth(sqs: SQSClient, url: string): Promise<number> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
    }),
  );
  return Object.values(Attributes).reduce((sum, value) => sum + Number(value), 0);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Receive → send → delete, ten at a time, until the DLQ is empty. Returns how many moved. */
export async function moveByHand(sqs: SQSClient, dlqUrl: string, queueUrl: string): Promise<number> {
  let moved = 0;
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: dlqUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        // Long enough to send and delete; a crash in between shows the message again, so it is moved twice at worst.
        VisibilityTimeout: 60,
        MessageAttributeNames: ['All'],
      }),
    );
    if (Messages.length === 0) {
      if ((await depth(sqs, dlqUrl)) === 0) return moved;
      await sleep(500);
      continue;
    }
    const { Successful = [], Failed = [] } = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: Messages.map((message, i) => ({ Id: String(i), MessageBody: message.Body!, MessageAttributes: sendableAttributes(message.MessageAttributes) })),
      }),
    );
    if (Successful.length) {
      await sqs.send(
        new DeleteMessageBatchCommand({ QueueUrl: dlqUrl, Entries: Successful.map((s) => ({ Id: s.Id!, ReceiptHandle: Messages[Number(s.Id)]!.ReceiptHandle! })) }),
      );
      moved += Successful.length;
    }
    if (Failed.length) throw new RedriveError(`${Failed.length} message(s) not accepted by the queue: ${Failed[0]!.Message ?? Failed[0]!.Code}`);
  }
}

/** What ReceiveMessage returns for an attribute, as SendMessage takes it (the list forms are reserved by SQS). */
function sendableAttributes(attributes: Record<string, MessageAttributeValue> | undefined): Record<string, MessageAttributeValue> | undefined {
  if (!attributes || Object.keys(attributes).length === 0) return undefined;
  return Object.fromEntries(
    Object.entries(attributes).map(([name, value]) => [name, { DataType: value.DataType, StringValue: value.StringValue, BinaryValue: value.BinaryValue }]),
  );
}

/** SQS's redrive: one message move task from the DLQ back to where its messages came from, waited for. */
export async function moveWithTask(
  sqs: SQSClient,
  dlqUrl: string,
  options: { pollMs?: number; onProgress?: (task: ListMessageMoveTasksResultEntry) => void } = {},
): Promise<number> {
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }));
  const sourceArn = Attributes!.QueueArn!;
  // The newest task comes first (a DLQ runs one at a time). Until the one started here is listed, the newest is
  // an earlier one: told apart by its start time, read before starting.
  const newest = async () => (await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: sourceArn, MaxResults: 1 }))).Results?.[0];
  const earlier = (await newest())?.StartedTimestamp;
  const { TaskHandle } = await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: sourceArn }));
  for (;;) {
    const listed = await newest();
    const task = listed && (listed.TaskHandle === TaskHandle || listed.StartedTimestamp !== earlier) ? listed : undefined;
    if (task && task.Status !== 'RUNNING') {
      if (task.Status !== 'COMPLETED') throw new RedriveError(`message move task ${task.Status}${task.FailureReason ? `: ${task.FailureReason}` : ''}`);
      return task.ApproximateNumberOfMessagesMoved ?? 0;
    }
    if (task) options.onProgress?.(task);
    await sleep(options.pollMs ?? MOVE_POLL_MS);
  }
}

export interface RedriveOptions {
  list: boolean;
  queues: string[];
  local: boolean;
  stack: string;
  prefix: string;
}

export function parseOptions(argv: string[], env: NodeJS.ProcessEnv = process.env): RedriveOptions {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      list: { type: 'boolean', default: false },
      local: { type: 'boolean', default: false },
      stack: { type: 'string' },
      stage: { type: 'string', default: 'prod' },
      prefix: { type: 'string', default: DEFAULT_QUEUE_PREFIX },
    },
  });
  const unknown = positionals.filter((name) => !QUEUE_NAMES.includes(name));
  if (unknown.length) throw new RedriveError(`unknown queue ${unknown.join(', ')}; the queues are ${QUEUE_NAMES.join(', ')}`);
  if (!values.list && positionals.length === 0) throw new RedriveError(`name a queue to redrive (${QUEUE_NAMES.join(', ')}) or --list`);
  return {
    list: values.list,
    queues: positionals,
    local: values.local || Boolean(env.AWS_ENDPOINT_URL_SQS),
    stack: values.stack ?? `Mailroom-${values.stage}`,
    prefix: values.prefix,
  };
}

async function main() {
  const options = parseOptions(process.argv.slice(2));
  const endpoint = process.env.AWS_ENDPOINT_URL_SQS ?? `http://127.0.0.1:${process.env.MAILROOM_SQS_PORT ?? 8789}`;
  const sqs = options.local ? new SQSClient({ endpoint, ...LOCAL_AWS, useQueueUrlAsEndpoint: false }) : new SQSClient({});
  const cloudFormation = options.local ? undefined : new CloudFormationClient({});
  const locator = cloudFormation ? stackQueues(sqs, cloudFormation, options.stack) : localQueues(sqs, endpoint, options.prefix);
  const out = (line: string) => process.stdout.write(`${line}\n`);
  try {
    if (options.list) {
      const rows = await Promise.all(
        QUEUE_NAMES.map(async (queue) => {
          const [dlq, waiting] = await Promise.all([depth(sqs, await locator.dlqUrl(queue)), depth(sqs, await locator.queueUrl(queue))]);
          return `${queue.padEnd(18)} ${String(dlq).padStart(6)} ${String(waiting).padStart(6)}${dlq ? `   ← npm run redrive -- ${queue}` : ''}`;
        }),
      );
      out(`${'queue'.padEnd(18)} ${'dlq'.padStart(6)} ${'queue'.padStart(6)}   (${locator.describe})`);
      rows.forEach((row) => out(row));
      return;
    }
    for (const queue of options.queues) {
      const dlqUrl = await locator.dlqUrl(queue);
      const waiting = await depth(sqs, dlqUrl);
      if (waiting === 0) {
        out(`${queue}: the DLQ is empty`);
        continue;
      }
      out(`${queue}: moving ${waiting} message(s) from the DLQ back to the queue (${locator.describe})`);
      const moved = options.local
        ? await moveByHand(sqs, dlqUrl, await locator.queueUrl(queue))
        : await moveWithTask(sqs, dlqUrl, { onProgress: (t) => out(`  ${t.ApproximateNumberOfMessagesMoved ?? 0}/${t.ApproximateNumberOfMessagesToMove ?? '?'} moved`) });
      out(`${queue}: ${moved} message(s) moved`);
    }
  } finally {
    sqs.destroy();
    cloudFormation?.destroy();
  }
}

// Run as a command, not when a test imports the functions above.
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((error: unknown) => {
    process.stderr.write(`redrive: ${error instanceof RedriveError ? error.message : ((error as Error).stack ?? String(error))}\n`);
    process.exit(1);
  });
}
