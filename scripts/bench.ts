/**
 * `npm run bench`: the core operations measured warm and in-process against the local emulators (AWS calls,
 * DynamoDB units and round trips, handler time, cost per unit at list prices), and every function's bundle size
 * and cold module load. Prints a markdown report, writes bench-results/<time>.json and bench-results/latest.json.
 *
 *   npm run bench [-- --compare bench-results/<earlier>.json] [--strict] [--skip-functions] [--only "send,batch send"]
 *
 * --strict exits 1 when a target fails (otherwise the run is a measurement and exits 0). For quick runs while
 * iterating: --skip-functions leaves out bundling and cold loads; --only runs the named operations (and those
 * they build on).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PROJECT_ROOT } from '../lib/constructs/app-function.js';
import { COST_ASSUMPTIONS } from './bench/cost.js';
import { deployedFunctions, measureFunctions } from './bench/functions.js';
import { runOperations } from './bench/operations.js';
import { PRICES, PRICES_AS_OF } from './bench/prices.js';
import { formatComparison, formatReport } from './bench/report.js';
import { BenchResult, RESULT_FORMAT } from './bench/result.js';
import { startBenchStack } from './bench/stack.js';
import { evaluateTargets } from './bench/targets.js';

const RESULTS_DIR = join(PROJECT_ROOT, 'bench-results');

function readEarlier(file: string): BenchResult {
  const json = JSON.parse(readFileSync(file, 'utf8')) as { format?: unknown };
  if (json.format !== RESULT_FORMAT) throw new Error(`${file} has format ${String(json.format)}, this benchmark writes and compares format ${RESULT_FORMAT}: run both at the same version`);
  return BenchResult.parse(json);
}

const { values: options } = parseArgs({
  options: {
    compare: { type: 'string' },
    strict: { type: 'boolean', default: false },
    'skip-functions': { type: 'boolean', default: false },
    only: { type: 'string', default: '' },
  },
});
const only = options.only.split(',').map((name) => name.trim()).filter(Boolean);
// Read first: a wrong path should not cost a whole run.
const earlier = options.compare ? readEarlier(options.compare) : undefined;
const progress = (line: string) => process.stderr.write(`bench: ${line}\n`);

const started = new Date();
const git = (...args: string[]) => execFileSync('git', args, { cwd: PROJECT_ROOT, encoding: 'utf8' }).trim();
const commit = git('rev-parse', '--short', 'HEAD');
const dirty = git('status', '--porcelain', '--untracked-files=no') !== '';

const functions = deployedFunctions();
const memory = new Map(functions.map((f) => [f.entry, f.memoryMb]));
const memoryMb = (entry: string) => {
  const mb = memory.get(entry);
  if (mb === undefined) throw new Error(`${entry} is not a function of the CDK stack`);
  return mb;
};

// Powertools logs at INFO unless told otherwise; AppFunction gives every function the same environment.
const logLevels = new Set(functions.map((f) => f.logLevel ?? 'INFO'));
if (logLevels.size !== 1) throw new Error(`the functions are deployed with different log levels (${[...logLevels].join(', ')}): the benchmark runs them at one`);

progress('starting the local emulators and warming up DynamoDB Local');
const stack = await startBenchStack({ logLevel: [...logLevels][0]! });
const { dynamoDbWarmUp } = stack;
progress(
  `DynamoDB Local warmed up: ${dynamoDbWarmUp.calls} calls in ${dynamoDbWarmUp.seconds.toFixed(1)} s, p50 per call ${dynamoDbWarmUp.firstP50Ms.toFixed(2)} ms in the first round, ${dynamoDbWarmUp.lastP50Ms.toFixed(2)} ms in the last`,
);
const operations = await runOperations(stack, memoryMb, only, progress).finally(() => stack.stop());

const skipFunctions = options['skip-functions'];
if (!skipFunctions) progress(`bundling ${functions.length} functions and timing their cold module load`);
// The functions' environment (set by the bench stack) is what their modules see when Lambda loads them.
const measuredFunctions = skipFunctions ? null : await measureFunctions(functions, process.env);

const result: BenchResult = {
  format: RESULT_FORMAT,
  startedAt: started.toISOString(),
  durationMs: Date.now() - started.getTime(),
  commit,
  dirty,
  node: process.version,
  host: { cpus: cpus().length, loadAverage: loadavg() },
  dynamoDbWarmUp,
  prices: { asOf: PRICES_AS_OF, table: PRICES },
  assumptions: COST_ASSUMPTIONS,
  operations,
  functions: measuredFunctions,
  targets: evaluateTargets(operations, measuredFunctions),
};

mkdirSync(RESULTS_DIR, { recursive: true });
const json = `${JSON.stringify(result, null, 2)}\n`;
const file = join(RESULTS_DIR, `${result.startedAt.replace(/\.\d+Z$/, 'Z').replace(/:/g, '-')}.json`);
writeFileSync(file, json);
writeFileSync(join(RESULTS_DIR, 'latest.json'), json);

process.stdout.write(formatReport(result));
if (earlier) process.stdout.write(`\n${formatComparison(earlier, result)}`);
progress(`wrote ${file} and bench-results/latest.json`);
// Exits explicitly: handlers loaded in-process keep SDK connection pools that would hold the event loop open.
process.exit(options.strict && result.targets.some((t) => t.pass === false) ? 1 : 0);
