/**
 * Records every AWS call the functions make, through middleware on their SDK clients (functions/shared/clients.ts):
 * service, command, start/end, the benchmark scope it ran in, and what it bills by. DynamoDB commands are sent with
 * ReturnConsumedCapacity TOTAL so their read and write units are measured from the responses, not assumed.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface AwsCall {
  service: string;
  command: string;
  start: number;
  end: number;
  /** The scope (benchScope.run) the call was made in; undefined outside any. */
  scope?: object;
  failed: boolean;
  /** DynamoDB read and write request units (see consumedCapacity). */
  rcu: number;
  wcu: number;
  /** SQS: billable requests (one per 64 KB of payload). SES: recipients of a SendEmail. */
  billable: number;
}

/** Tags the calls made inside `benchScope.run(scope, fn)`, also those of work it starts without awaiting. */
export const benchScope = new AsyncLocalStorage<object>();

type Input = Record<string, unknown>;
type Next = (args: { input: Input }) => Promise<{ output: Input }>;
type Add = (middleware: unknown, options: { step: string; name: string }) => void;

export async function recordAwsCalls(): Promise<AwsCall[]> {
  // Imported here: the clients read their endpoints from the environment the bench stack sets up first.
  const clients = await import('../../functions/shared/clients.js');
  const calls: AwsCall[] = [];
  // What a DynamoDB command sent, as DynamoDB reads it (the document client marshals just before serializing).
  const sent = new WeakMap<object, Input>();
  const services = {
    DynamoDB: clients.dynamodb,
    SQS: clients.sqs,
    S3: clients.s3,
    SES: clients.ses,
    StepFunctions: clients.stepFunctions,
    SecretsManager: clients.secretsManager,
  } as const;
  for (const [service, client] of Object.entries(services)) {
    const add = (client.middlewareStack as { add: Add }).add.bind(client.middlewareStack);
    add(
      (next: Next, context: { commandName?: string }) => async (args: { input: Input }) => {
        const command = String(context.commandName).replace(/Command$/, '');
        const input = service === 'DynamoDB' ? { ...args.input, ReturnConsumedCapacity: 'TOTAL' } : args.input;
        const start = performance.now();
        const call: AwsCall = { service, command, start, end: start, scope: benchScope.getStore(), failed: false, rcu: 0, wcu: 0, billable: billableUnits(service, command, input) };
        try {
          const result = await next({ ...args, input });
          if (service === 'DynamoDB') Object.assign(call, consumedCapacity(command, sent.get(context) ?? {}, result.output));
          return result;
        } catch (error) {
          call.failed = true;
          if (service === 'DynamoDB') Object.assign(call, consumedCapacity(command, sent.get(context) ?? {}, undefined));
          throw error;
        } finally {
          call.end = performance.now();
          calls.push(call);
        }
      },
      { step: 'initialize', name: `bench-${service}` },
    );
    if (service === 'DynamoDB')
      add(
        (next: (args: { request: { body?: unknown } }) => Promise<unknown>, context: object) => async (args: { request: { body?: unknown } }) => {
          const { body } = args.request;
          sent.set(context, JSON.parse(typeof body === 'string' ? body : new TextDecoder().decode(body as Uint8Array)) as Input);
          return next(args);
        },
        { step: 'build', name: 'bench-DynamoDB-sent' },
      );
  }
  return calls;
}

const KB = 1024;
const SQS_CHUNK_BYTES = 64 * KB;

function billableUnits(service: string, command: string, input: Input): number {
  if (service === 'SQS') {
    const bodies =
      command === 'SendMessage' ? [input.MessageBody] : command === 'SendMessageBatch' ? ((input.Entries as { MessageBody?: string }[]) ?? []).map((e) => e.MessageBody) : [];
    const bytes = bodies.reduce((sum: number, body) => sum + Buffer.byteLength(String(body ?? '')), 0);
    return Math.max(1, Math.ceil(bytes / SQS_CHUNK_BYTES));
  }
  if (service === 'SES' && command === 'SendEmail') {
    const destination = (input.Destination ?? {}) as Record<string, string[] | undefined>;
    return (destination.ToAddresses?.length ?? 0) + (destination.CcAddresses?.length ?? 0) + (destination.BccAddresses?.length ?? 0);
  }
  return 1;
}

const READS = new Set(['GetItem', 'BatchGetItem', 'Query', 'Scan', 'TransactGetItems']);

/**
 * Read and write units of one DynamoDB call, from the ConsumedCapacity DynamoDB Local returns, with three corrections
 * where Local differs from DynamoDB:
 * - TransactWriteItems: DynamoDB charges each item 2 units per KB (of the larger of its old and new image), rounded
 *   up per item; Local's figure does not follow that rule (a transaction of several small new items reports 2 units
 *   in all). Counted here as the larger of Local's figure and 2 × the request's own lower bound per item (a Put's
 *   item size; 1 KB for an Update, Delete or ConditionCheck, whose stored size the request does not show).
 * - A failed write (a condition that did not hold, a cancelled transaction) is billed by DynamoDB but answers without
 *   ConsumedCapacity: counted at the same lower bound.
 * - A read that finds nothing still costs DynamoDB's minimum (per key for GetItem and BatchGetItem, per request for
 *   Query and Scan: 1 unit strongly consistent, 0.5 eventually); Local reports 0.
 */
export function consumedCapacity(command: string, input: Input, output: Input | undefined): { rcu: number; wcu: number } {
  const reported = ([] as { CapacityUnits?: number }[])
    .concat((output?.ConsumedCapacity as { CapacityUnits?: number } | { CapacityUnits?: number }[] | undefined) ?? [])
    .reduce((sum, c) => sum + (c.CapacityUnits ?? 0), 0);
  if (READS.has(command)) return { rcu: output ? Math.max(reported, readLowerBound(command, input)) : 0, wcu: 0 };
  return { rcu: 0, wcu: Math.max(reported, writeLowerBound(command, input)) };
}

function readLowerBound(command: string, input: Input): number {
  const unit = (consistent: unknown) => (consistent === true ? 1 : 0.5);
  switch (command) {
    case 'GetItem':
    case 'Query':
    case 'Scan':
      return unit(input.ConsistentRead);
    case 'BatchGetItem':
      return Object.values((input.RequestItems ?? {}) as Record<string, { Keys?: unknown[]; ConsistentRead?: boolean }>).reduce(
        (sum, table) => sum + (table.Keys?.length ?? 0) * unit(table.ConsistentRead),
        0,
      );
    case 'TransactGetItems':
      return 2 * ((input.TransactItems as unknown[] | undefined)?.length ?? 0);
    default:
      return 0;
  }
}

function writeLowerBound(command: string, input: Input): number {
  const units = (item: Record<string, WireValue> | undefined) => (item ? Math.max(1, Math.ceil(itemBytes(item) / KB)) : 1);
  switch (command) {
    case 'PutItem':
      return units(input.Item as Record<string, WireValue>);
    case 'UpdateItem':
    case 'DeleteItem':
      return 1;
    case 'BatchWriteItem':
      return Object.values((input.RequestItems ?? {}) as Record<string, { PutRequest?: { Item: Record<string, WireValue> } }[]>)
        .flat()
        .reduce((sum, request) => sum + units(request.PutRequest?.Item), 0);
    case 'TransactWriteItems':
      return ((input.TransactItems ?? []) as { Put?: { Item: Record<string, WireValue> } }[]).reduce((sum, item) => sum + 2 * units(item.Put?.Item), 0);
    default:
      return 0;
  }
}

/** An attribute value as DynamoDB's JSON protocol carries it (binary as base64). */
interface WireValue {
  S?: string;
  N?: string;
  B?: string;
  BOOL?: boolean;
  NULL?: boolean;
  SS?: string[];
  NS?: string[];
  BS?: string[];
  M?: Record<string, WireValue>;
  L?: WireValue[];
}

/** DynamoDB's item size: attribute names plus values (numbers ~1 byte per 2 digits + 1; maps and lists 3 + 1 per element). */
export function itemBytes(item: Record<string, WireValue>): number {
  return Object.entries(item).reduce((sum, [name, value]) => sum + Buffer.byteLength(name) + valueBytes(value), 0);
}

function valueBytes(value: WireValue): number {
  if (value.S !== undefined) return Buffer.byteLength(value.S);
  if (value.N !== undefined) return numberBytes(value.N);
  if (value.B !== undefined) return Buffer.from(value.B, 'base64').length;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.SS) return value.SS.reduce((sum, s) => sum + Buffer.byteLength(s), 0);
  if (value.NS) return value.NS.reduce((sum, n) => sum + numberBytes(n), 0);
  if (value.BS) return value.BS.reduce((sum, b) => sum + Buffer.from(b, 'base64').length, 0);
  if (value.M) return 3 + Object.entries(value.M).reduce((sum, [name, v]) => sum + Buffer.byteLength(name) + valueBytes(v) + 1, 0);
  if (value.L) return 3 + value.L.reduce((sum, v) => sum + valueBytes(v) + 1, 0);
  return 0;
}

const numberBytes = (n: string) => Math.ceil(n.replace(/[^0-9]/g, '').replace(/^0+/, '').length / 2) + 1;

/** Time during which at least one of the calls was in flight (overlapping calls count once). */
export function waitingMs(calls: Pick<AwsCall, 'start' | 'end'>[]): number {
  let waiting = 0;
  let inFlightUntil = -Infinity;
  for (const { start, end } of [...calls].sort((a, b) => a.start - b.start)) {
    if (end <= inFlightUntil) continue;
    waiting += end - Math.max(start, inFlightUntil);
    inFlightUntil = end;
  }
  return waiting;
}

/**
 * Sequential stages of calls: calls whose time intervals overlap (started while another was in flight) are one
 * round trip; each gap with nothing in flight starts the next.
 */
export function roundTrips(calls: Pick<AwsCall, 'start' | 'end'>[]): number {
  let trips = 0;
  let inFlightUntil = -Infinity;
  for (const { start, end } of [...calls].sort((a, b) => a.start - b.start)) {
    if (start >= inFlightUntil) trips++;
    inFlightUntil = Math.max(inFlightUntil, end);
  }
  return trips;
}
