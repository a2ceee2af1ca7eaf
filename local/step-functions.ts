/**
 * Step Functions offline: the Step Functions JSON API (StartExecution, StopExecution, DescribeExecution,
 * ListExecutions) on a local port, running the campaign state machine definition CDK deploys
 * (lib/campaign-state-machine.ts) with aws-local-stepfunctions. Its task state invokes the real step handler
 * in-process. `timeScale` divides every Wait (86400: a day passes in a second) so a multi-day sequence can be
 * watched; waits are nominal everywhere else (the enrolment's wake_at shows the unscaled time).
 * With a `stateFile`, executions sleeping in their Wait state are written down and resumed after a restart
 * (from the Wait, for the time that was left), as on AWS, where they outlive any process.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StateMachine } from 'aws-local-stepfunctions';
import { campaignStateMachineDefinition, FAILURE_TASK_STATE, STEP_TASK_STATE } from '../lib/campaign-state-machine.js';
import { listenOn } from './http-helpers.js';
import { lambdaContext, loadHandler } from './lambda.js';
import { LOCAL_AWS } from './aws-env.js';

// aws-local-stepfunctions uses Promise.withResolvers (Node 22); Node 20 lacks it.
if (!('withResolvers' in Promise)) {
  Object.assign(Promise, {
    withResolvers<T>() {
      let resolve!: (value: T) => void;
      let reject!: (reason?: unknown) => void;
      const promise = new Promise<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}

const ACCOUNT = '000000000000';
export const LOCAL_STATE_MACHINE_NAME = 'mailroom-campaigns';
export const LOCAL_STATE_MACHINE_ARN = `arn:aws:states:${LOCAL_AWS.region}:${ACCOUNT}:stateMachine:${LOCAL_STATE_MACHINE_NAME}`;
const STEP_FUNCTION_ARN = `arn:aws:lambda:${LOCAL_AWS.region}:${ACCOUNT}:function:campaign-step`;
const STEP_HANDLER = 'functions/workers/campaign-step.ts';

type Status = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED';
interface Execution {
  arn: string;
  name: string;
  input: string;
  status: Status;
  startDate: number;
  stopDate?: number;
  output?: string;
  error?: string;
  cause?: string;
  /** States entered: what Step Functions bills (standard workflows) as state transitions. */
  transitions: number;
  abort: () => void;
}

export interface LocalStepFunctions {
  endpoint: string;
  /** Resolves when no execution is running (tests, shutdown). */
  idle(): Promise<void>;
  /** Executions started and state transitions made so far (the benchmark's cost figures). */
  usage(): { executions: number; transitions: number };
  stop(): Promise<void>;
}

class ServiceError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

/** A sleeping execution as persisted: enough to resume it at its Wait state. */
interface Sleeping {
  name: string;
  input: string;
  state: unknown;
  wakeAt: number;
}

function once<T>(make: () => T): () => T {
  let made: { value: T } | undefined;
  return () => (made ??= { value: make() }).value;
}

export async function startStepFunctions(options: { port: number; timeScale: number; stateFile?: string }): Promise<LocalStepFunctions> {
  const definition = campaignStateMachineDefinition(STEP_FUNCTION_ARN);
  // Built at their first execution: validating a definition compiles JSON schemas, most of a second of CPU that a
  // process running no campaign (most test files) need not spend.
  const machine = once(() => new StateMachine(definition as never, { validationOptions: { checkArn: false } }));
  // The same definition entered at its Wait state: how a restarted runtime picks a sleeping execution up again.
  const resumingMachine = once(() => new StateMachine({ ...definition, StartAt: 'Sleep' } as never, { validationOptions: { checkArn: false } }));
  const executions = new Map<string, Execution>();
  const running = new Set<Promise<unknown>>();
  const sleeping = new Map<string, Sleeping>();
  let shuttingDown = false;
  const persist = () => {
    if (options.stateFile && !shuttingDown) writeFileSync(options.stateFile, JSON.stringify([...sleeping.values()]));
  };

  function start(name: string, input: string, resume?: Sleeping): Execution {
    const arn = `arn:aws:states:${LOCAL_AWS.region}:${ACCOUNT}:execution:${LOCAL_STATE_MACHINE_NAME}:${name}`;
    const waitTimeOverrides: Record<string, number> = {};
    const stepTask = async (state: unknown) => {
      const handler = await loadHandler<unknown, { action?: string; wait_seconds?: number }>(STEP_HANDLER);
      const output = await handler(state, lambdaContext('campaign-step', 120));
      // The Wait state sleeps for the scaled time; the state keeps the real number of seconds.
      if (output.action === 'wait' && output.wait_seconds) {
        waitTimeOverrides.Sleep = Math.max(1, Math.round((output.wait_seconds * 1000) / options.timeScale));
        sleeping.set(name, { name, input, state: output, wakeAt: Date.now() + waitTimeOverrides.Sleep });
      } else sleeping.delete(name);
      persist();
      return output as never;
    };
    if (resume) waitTimeOverrides.Sleep = Math.max(1, resume.wakeAt - Date.now());
    const run = (resume ? resumingMachine() : machine()).run(resume ? (resume.state as never) : JSON.parse(input), {
      overrides: {
        taskResourceLocalHandlers: { [STEP_TASK_STATE]: stepTask, [FAILURE_TASK_STATE]: stepTask },
        waitTimeOverrides,
        retryIntervalOverrides: { [STEP_TASK_STATE]: 200, [FAILURE_TASK_STATE]: 200 },
      },
      noThrowOnAbort: true,
      context: { Execution: { Id: arn, Name: name, Input: JSON.parse(input), StartTime: new Date().toISOString() } },
    });
    const execution: Execution = { arn, name, input, status: 'RUNNING', startDate: Date.now() / 1000, transitions: 0, abort: () => run.abort() };
    void (async () => {
      for await (const event of run.eventLogs) if (event.type === 'StateEntered') execution.transitions++;
    })().catch(() => undefined);
    const settled = run.result.then(
      (output) => {
        if (execution.status !== 'RUNNING' || shuttingDown) return;
        Object.assign(execution, { status: 'SUCCEEDED', output: JSON.stringify(output), stopDate: Date.now() / 1000 });
        if (sleeping.delete(name)) persist();
      },
      (error: Error & { cause?: unknown }) => {
        if (shuttingDown) return;
        Object.assign(execution, { status: 'FAILED', error: error.name, cause: String(error.message), stopDate: Date.now() / 1000 });
        if (sleeping.delete(name)) persist();
      },
    );
    running.add(settled);
    void settled.finally(() => running.delete(settled));
    executions.set(arn, execution);
    return execution;
  }

  const describe = (e: Execution) => ({
    executionArn: e.arn,
    stateMachineArn: LOCAL_STATE_MACHINE_ARN,
    name: e.name,
    status: e.status,
    startDate: e.startDate,
    ...(e.stopDate && { stopDate: e.stopDate }),
    input: e.input,
    ...(e.output && { output: e.output }),
    ...(e.error && { error: e.error, cause: e.cause }),
  });

  function find(arn: unknown): Execution {
    const execution = executions.get(String(arn));
    if (!execution) throw new ServiceError('ExecutionDoesNotExist', `Execution does not exist: '${String(arn)}'`);
    return execution;
  }

  const operations: Record<string, (body: Record<string, any>) => unknown> = {
    StartExecution(body) {
      if (body.stateMachineArn !== LOCAL_STATE_MACHINE_ARN) throw new ServiceError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${body.stateMachineArn}'`);
      const name = String(body.name ?? crypto.randomUUID());
      const input = String(body.input ?? '{}');
      const existing = [...executions.values()].find((e) => e.name === name);
      // As on AWS: the same name and input while it runs is the same execution; anything else is a conflict.
      if (existing) {
        if (existing.status === 'RUNNING' && existing.input === input) return { executionArn: existing.arn, startDate: existing.startDate };
        throw new ServiceError('ExecutionAlreadyExists', `Execution Already Exists: '${existing.arn}'`);
      }
      const execution = start(name, input);
      return { executionArn: execution.arn, startDate: execution.startDate };
    },
    StopExecution(body) {
      const execution = find(body.executionArn);
      if (execution.status === 'RUNNING') {
        Object.assign(execution, { status: 'ABORTED', stopDate: Date.now() / 1000, error: body.error, cause: body.cause });
        execution.abort();
        if (sleeping.delete(execution.name)) persist();
      }
      return { stopDate: execution.stopDate };
    },
    DescribeExecution: (body) => describe(find(body.executionArn)),
    ListExecutions(body) {
      const list = [...executions.values()].filter((e) => !body.statusFilter || e.status === body.statusFilter);
      return { executions: list.map((e) => ({ executionArn: e.arn, stateMachineArn: LOCAL_STATE_MACHINE_ARN, name: e.name, status: e.status, startDate: e.startDate, ...(e.stopDate && { stopDate: e.stopDate }) })) };
    },
  };

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const operation = String(req.headers['x-amz-target'] ?? '').replace(/^AWSStepFunctions\./, '');
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
      res.end(JSON.stringify(body));
    };
    try {
      const implementation = operations[operation];
      if (!implementation) throw new ServiceError('UnknownOperationException', `Operation ${operation} is not emulated locally.`);
      send(200, await implementation(JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}')));
    } catch (error) {
      if (error instanceof ServiceError) send(400, { __type: error.type, message: error.message });
      else send(500, { __type: 'InternalFailure', message: String(error) });
    }
  }

  if (options.stateFile && existsSync(options.stateFile)) {
    for (const saved of JSON.parse(readFileSync(options.stateFile, 'utf8')) as Sleeping[]) {
      sleeping.set(saved.name, saved);
      start(saved.name, saved.input, saved);
    }
  }

  const server = createServer((req, res) => void handle(req, res));
  await listenOn(server, options.port);
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async idle() {
      while (running.size) await Promise.allSettled([...running]);
    },
    usage() {
      return { executions: executions.size, transitions: [...executions.values()].reduce((sum, e) => sum + e.transitions, 0) };
    },
    async stop() {
      // Stopping the runtime is not stopping the executions: sleeping ones stay written down for the next start.
      shuttingDown = true;
      for (const execution of executions.values()) if (execution.status === 'RUNNING') execution.abort();
      await Promise.allSettled([...running]);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
