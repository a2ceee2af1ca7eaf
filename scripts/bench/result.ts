/** What one run writes to bench-results/*.json, and what `--compare` reads back. */
import * as z from 'zod';

export const COST_LINES = ['API Gateway', 'Lambda requests', 'Lambda duration', 'DynamoDB', 'SQS', 'SNS', 'S3', 'Step Functions', 'CloudWatch Logs', 'SES'] as const;
export const CostLine = z.enum(COST_LINES);
export type CostLine = z.infer<typeof CostLine>;

/** What a stage, or the whole operation, uses per unit of the operation (an email, a message, an event, a request, a step). */
const PerUnit = z.object({
  /** AWS calls, keyed "Service Command". */
  callsPerUnit: z.record(z.string(), z.number()),
  rcuPerUnit: z.number(),
  wcuPerUnit: z.number(),
  /** What the functions wrote to their log (log lines and EMF metrics), without Lambda's own records. */
  logBytesPerUnit: z.number(),
});
export type PerUnit = z.infer<typeof PerUnit>;

/** Nearest rank: how the result's p50 and p99 figures and the report's medians are taken. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

export const StageResult = PerUnit.extend({
  stage: z.string(),
  function: z.string(),
  memoryMb: z.number(),
  /** Invocations measured (after warm-up). */
  invocations: z.number(),
  recordsPerInvocation: z.number(),
  p50Ms: z.number(),
  p99Ms: z.number(),
  /** p50 of the handler time not spent waiting on an AWS call: the code's own share, apart from the emulators' latency. */
  ownP50Ms: z.number(),
  /** Sequential DynamoDB stages per invocation (overlapping calls count once). */
  dynamoRoundTrips: z.object({ p50: z.number(), max: z.number() }),
});
export type StageResult = z.infer<typeof StageResult>;

export const OperationResult = PerUnit.extend({
  name: z.string(),
  unit: z.string(),
  /** Units measured (after warm-up). */
  units: z.number(),
  stages: z.array(StageResult),
  dynamoRoundTripsPerUnit: z.number(),
  /** USD per unit by service; SES's own charge is the SES line. */
  costPerUnit: z.record(CostLine, z.number()),
  /** USD per unit for everything but SES. */
  infrastructurePerUnit: z.number(),
  /** Work the operation left on queues it does not follow (discarded, unmeasured). */
  unfollowed: z.record(z.string(), z.number()),
});
export type OperationResult = z.infer<typeof OperationResult>;

export const FunctionResult = z.object({
  name: z.string(),
  entry: z.string(),
  memoryMb: z.number(),
  bundleBytes: z.number(),
  coldLoadMs: z.number(),
});
export type FunctionResult = z.infer<typeof FunctionResult>;

export const TargetResult = z.object({
  name: z.string(),
  limit: z.number(),
  unit: z.string(),
  /** null: not measured in this run. */
  value: z.number().nullable(),
  pass: z.boolean().nullable(),
  detail: z.string().optional(),
});
export type TargetResult = z.infer<typeof TargetResult>;

/** How DynamoDB Local was warmed up before the operations ran (scripts/bench/emulator-warm-up.ts). */
export const EmulatorWarmUp = z.object({
  calls: z.number(),
  seconds: z.number(),
  /** The p50 of one call in the first and in the last round. */
  firstP50Ms: z.number(),
  lastP50Ms: z.number(),
});
export type EmulatorWarmUp = z.infer<typeof EmulatorWarmUp>;

/** Bumped whenever the shape changes: --compare reads only results of its own format. */
export const RESULT_FORMAT = 4;

export const BenchResult = z.object({
  format: z.literal(RESULT_FORMAT),
  startedAt: z.string(),
  durationMs: z.number(),
  commit: z.string(),
  /** Uncommitted changes in the working tree when the run started. */
  dirty: z.boolean(),
  node: z.string(),
  host: z.object({ cpus: z.number(), loadAverage: z.array(z.number()) }),
  dynamoDbWarmUp: EmulatorWarmUp,
  prices: z.object({ asOf: z.string(), table: z.record(z.string(), z.object({ usd: z.number(), per: z.number(), unit: z.string(), source: z.string() })) }),
  assumptions: z.array(z.string()),
  operations: z.array(OperationResult),
  /** null when the run skipped functions (--skip-functions). */
  functions: z.array(FunctionResult).nullable(),
  targets: z.array(TargetResult),
});
export type BenchResult = z.infer<typeof BenchResult>;
