/**
 * A queue consumer in a process of its own, so a fault test can SIGKILL it mid-batch: the local event source
 * emulation (local/queue-poller.ts) over the queues in FAULTS_WORKER_QUEUES (JSON: name, url, arn, batchSize,
 * timeoutSeconds, consumer module), with the functions' environment it inherits.
 * FAULTS_CLOCK_AHEAD_MS runs its clock that far ahead: a worker that starts after a lease ran out, without the
 * test waiting for the lease.
 */
import type { PolledQueue } from '../../../local/queue-poller.js';

const ahead = Number(process.env.FAULTS_CLOCK_AHEAD_MS ?? 0);
if (ahead) {
  const RealDate = Date;
  class AheadDate extends RealDate {
    constructor(...args: ConstructorParameters<DateConstructor> | []) {
      if (args.length === 0) super(RealDate.now() + ahead);
      else super(...(args as ConstructorParameters<DateConstructor>));
    }
    static override now() {
      return RealDate.now() + ahead;
    }
  }
  globalThis.Date = AheadDate as DateConstructor;
}

// Imported after the clock is set, so every module reads the same one.
const { SQSClient } = await import('@aws-sdk/client-sqs');
const { startQueuePollers } = await import('../../../local/queue-poller.js');
const { LOCAL_AWS } = await import('../../../local/aws-env.js');

const queues = JSON.parse(process.env.FAULTS_WORKER_QUEUES ?? '[]') as PolledQueue[];
const sqs = new SQSClient({ endpoint: process.env.AWS_ENDPOINT_URL_SQS, ...LOCAL_AWS, useQueueUrlAsEndpoint: false });
const pollers = startQueuePollers(sqs, queues, { region: LOCAL_AWS.region, onError: (error) => process.stderr.write(`worker: ${(error as Error).message}\n`) });
process.once('SIGTERM', () => void pollers.stop().then(() => process.exit(0)));
process.stdout.write('ready\n');
