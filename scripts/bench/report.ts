/** The markdown a run prints, and the deltas `--compare` prints against an earlier run. */
import { describePrice, PRICES, PRICES_AS_OF, type PriceName } from './prices.js';
import { COST_LINES, percentile, type BenchResult, type OperationResult, type StageResult, type TargetResult } from './result.js';

const SHOWN_FUNCTIONS = 10;

const trim = (n: number, digits = 2) => String(Number(n.toFixed(digits)));
const usd = (n: number) => `$${n.toFixed(n !== 0 && Math.abs(n) < 0.001 ? 5 : 4)}`;
const row = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
const header = (cells: string[]) => [row(cells), row(cells.map(() => '---'))];

/** "DynamoDB GetItem 2, PutItem 1 · SQS SendMessageBatch 1" */
function callList(calls: Record<string, number>): string {
  const byService = new Map<string, string[]>();
  for (const [name, count] of Object.entries(calls).sort(([a], [b]) => a.localeCompare(b))) {
    const [service, command] = name.split(' ') as [string, string];
    byService.set(service, [...(byService.get(service) ?? []), `${command} ${trim(count)}`]);
  }
  return [...byService].map(([service, commands]) => `${service} ${commands.join(', ')}`).join(' · ') || '—';
}

const capacity = (o: Pick<StageResult, 'rcuPerUnit' | 'wcuPerUnit'>) => `${trim(o.rcuPerUnit)} / ${trim(o.wcuPerUnit)}`;

function operationRows(operation: OperationResult): string[] {
  const totalCalls = Object.values(operation.callsPerUnit).reduce((a, b) => a + b, 0);
  const lines = [
    row([
      `**${operation.name}** (per ${operation.unit}, ${operation.units} measured)`,
      '',
      '',
      `${trim(totalCalls)}: ${callList(operation.callsPerUnit)}`,
      capacity(operation),
      `${trim(operation.dynamoRoundTripsPerUnit)} per ${operation.unit}`,
      trim(operation.logBytesPerUnit, 0),
      '',
      '',
      `**${usd(operation.infrastructurePerUnit * 1000)}**`,
    ]),
  ];
  for (const stage of operation.stages) {
    lines.push(
      row([
        `↳ ${stage.stage}`,
        `${stage.function} (${stage.memoryMb} MB)`,
        `${stage.invocations} × ${trim(stage.recordsPerInvocation, 1)}`,
        callList(stage.callsPerUnit),
        capacity(stage),
        `${stage.dynamoRoundTrips.p50} (max ${stage.dynamoRoundTrips.max})`,
        trim(stage.logBytesPerUnit, 0),
        trim(stage.p50Ms, 1),
        trim(stage.p99Ms, 1),
        '',
      ]),
    );
  }
  return lines;
}

const targetValue = (t: TargetResult) => (t.value === null ? 'not measured' : `${t.unit === 'USD' ? usd(t.value) : trim(t.value, 1)} ${t.unit === 'USD' ? '' : t.unit}`.trim());
const verdict = (t: TargetResult) => (t.pass === null ? '—' : t.pass ? 'PASS' : '**FAIL**');

export function formatReport(result: BenchResult): string {
  const out: string[] = [];
  out.push(
    `# npm run bench — ${result.startedAt} (${result.commit}${result.dirty ? ', uncommitted changes' : ''}; node ${result.node}; ${result.host.cpus} CPUs, load ${result.host.loadAverage.map((l) => l.toFixed(1)).join(' ')}; ${trim(result.durationMs / 1000, 0)} s; DynamoDB Local warmed up with ${result.dynamoDbWarmUp.calls} calls)`,
    '',
    "Operations, warm and in-process against the local emulators. Per stage: invocations × records each; calls, DynamoDB read/write units, the function's own log output and cost are per unit of the operation; round trips are sequential DynamoDB stages per invocation (p50, max); times are per invocation.",
    '',
    ...header(['operation / stage', 'function (memory)', 'invocations', 'AWS calls per unit', 'DynamoDB RCU / WCU per unit', 'DynamoDB round trips', 'log bytes per unit', 'p50 ms', 'p99 ms', 'infrastructure per 1,000 units']),
    ...result.operations.flatMap(operationRows),
    '',
  );
  const unfollowed = result.operations.filter((o) => Object.keys(o.unfollowed).length);
  if (unfollowed.length)
    out.push(`Left on queues the operation does not follow (not measured): ${unfollowed.map((o) => `${o.name}: ${Object.entries(o.unfollowed).map(([q, n]) => `${q} ${n}`).join(', ')}`).join('; ')}.`, '');

  out.push(
    'Cost per 1,000 units by service (USD; "infrastructure" is everything but SES):',
    '',
    ...header(['operation', ...COST_LINES.filter((l) => l !== 'SES'), 'infrastructure', 'SES']),
    ...result.operations.map((o) =>
      row([o.name, ...COST_LINES.filter((l) => l !== 'SES').map((l) => usd(o.costPerUnit[l] * 1000)), `**${usd(o.infrastructurePerUnit * 1000)}**`, usd(o.costPerUnit.SES * 1000)]),
    ),
    '',
  );

  if (result.functions) {
    const bySize = [...result.functions].sort((a, b) => b.bundleBytes - a.bundleBytes);
    const median = (values: number[]) => percentile(values, 50);
    out.push(
      `Functions: ${result.functions.length} bundles (esbuild with AppFunction's options), each imported by a fresh node process. The ${SHOWN_FUNCTIONS} largest (all in the JSON):`,
      '',
      ...header(['function', 'memory', 'bundle KB', 'cold module load ms']),
      ...bySize.slice(0, SHOWN_FUNCTIONS).map((f) => row([f.name, `${f.memoryMb} MB`, trim(f.bundleBytes / 1024, 0), trim(f.coldLoadMs, 0)])),
      '',
      `Median bundle ${trim(median(result.functions.map((f) => f.bundleBytes)) / 1024, 0)} KB, median cold load ${trim(median(result.functions.map((f) => f.coldLoadMs)), 0)} ms, slowest ${[...result.functions]
        .sort((a, b) => b.coldLoadMs - a.coldLoadMs)
        .slice(0, 3)
        .map((f) => `${f.name} ${trim(f.coldLoadMs, 0)} ms`)
        .join(', ')}.`,
      '',
    );
  }

  out.push('Targets:', '', ...header(['target', 'limit', 'measured', '']));
  for (const t of result.targets) out.push(row([t.name, t.unit === 'USD' ? usd(t.limit) : `${t.limit} ${t.unit}`, `${targetValue(t)}${t.detail ? ` (${t.detail})` : ''}`, verdict(t)]));
  out.push('', `Assumptions (prices as of ${PRICES_AS_OF}):`, ...result.assumptions.map((a) => `- ${a}`));
  out.push(...(Object.keys(PRICES) as PriceName[]).map((name) => `- ${describePrice(name)} (${PRICES[name].source})`), '');
  return out.join('\n');
}

const change = (before: number, after: number, format: (n: number) => string) => {
  if (before === after) return format(after);
  const percent = before === 0 ? '' : ` (${after > before ? '+' : ''}${trim(((after - before) / before) * 100, 0)} %)`;
  return `${format(before)} → ${format(after)}${percent}`;
};

/** What moved between two runs: per operation, per function whose bundle changed, and the targets. */
export function formatComparison(before: BenchResult, after: BenchResult): string {
  const out = [
    `Compared with ${before.startedAt} (${before.commit}${before.dirty ? ', uncommitted changes' : ''}):`,
    '',
    ...header(['operation', 'infrastructure per 1,000 units', 'AWS calls per unit', 'DynamoDB RCU per unit', 'DynamoDB WCU per unit', 'DynamoDB round trips per unit', 'p50 ms of the first stage']),
  ];
  const calls = (o: OperationResult) => Object.values(o.callsPerUnit).reduce((a, b) => a + b, 0);
  for (const now of after.operations) {
    const then = before.operations.find((o) => o.name === now.name);
    if (!then) {
      out.push(row([now.name, 'new', '', '', '', '', '']));
      continue;
    }
    out.push(
      row([
        now.name,
        change(then.infrastructurePerUnit * 1000, now.infrastructurePerUnit * 1000, usd),
        change(calls(then), calls(now), (n) => trim(n)),
        change(then.rcuPerUnit, now.rcuPerUnit, (n) => trim(n)),
        change(then.wcuPerUnit, now.wcuPerUnit, (n) => trim(n)),
        change(then.dynamoRoundTripsPerUnit, now.dynamoRoundTripsPerUnit, (n) => trim(n)),
        change(then.stages[0]?.p50Ms ?? 0, now.stages[0]?.p50Ms ?? 0, (n) => trim(n, 1)),
      ]),
    );
  }
  for (const gone of before.operations.filter((o) => !after.operations.some((n) => n.name === o.name))) out.push(row([gone.name, 'not measured now', '', '', '', '', '']));
  out.push('');
  if (before.functions && after.functions) {
    const moved = after.functions
      .map((f) => ({ f, then: before.functions!.find((b) => b.entry === f.entry) }))
      .filter(({ f, then }) => !then || Math.abs(f.bundleBytes - then.bundleBytes) >= 1024);
    const total = (fs: { bundleBytes: number }[]) => fs.reduce((a, f) => a + f.bundleBytes, 0) / 1024;
    out.push(`Bundles: ${change(total(before.functions), total(after.functions), (n) => `${trim(n, 0)} KB`)} in all; ${moved.length ? 'changed by 1 KB or more:' : 'none changed by 1 KB or more.'}`);
    if (moved.length) {
      out.push('', ...header(['function', 'bundle KB', 'cold load ms']));
      for (const { f, then } of moved)
        out.push(row([f.name, then ? change(then.bundleBytes / 1024, f.bundleBytes / 1024, (n) => trim(n, 0)) : `new: ${trim(f.bundleBytes / 1024, 0)}`, then ? change(then.coldLoadMs, f.coldLoadMs, (n) => trim(n, 0)) : trim(f.coldLoadMs, 0)]));
    }
    out.push('');
  }
  out.push(...header(['target', 'before', 'now']));
  for (const t of after.targets) {
    const then = before.targets.find((b) => b.name === t.name);
    out.push(row([t.name, then ? `${targetValue(then)} ${verdict(then)}` : '—', `${targetValue(t)} ${verdict(t)}`]));
  }
  out.push('');
  return out.join('\n');
}
