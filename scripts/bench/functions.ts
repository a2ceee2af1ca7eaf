/**
 * Every function the stack deploys, read from the CDK construct tree (bundling skipped): its handler module,
 * memory and Node options. Each is bundled with esbuild exactly as AppFunction bundles it (APP_FUNCTION_BUNDLING,
 * translated the way CDK translates it), then imported by a fresh node process to time its cold module load.
 */
import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Stack } from 'aws-cdk-lib';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import type { BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import { build, type BuildOptions } from 'esbuild';
import { APP_FUNCTION_BUNDLING, AppFunction, PROJECT_ROOT } from '../../lib/constructs/app-function.js';
import { synthMailroom } from '../../test/support/synth-stack.js';
import type { FunctionResult } from './result.js';

export interface DeployedFunction {
  /** The handler module without `functions/` and `.ts`, e.g. http/emails/send. */
  name: string;
  entry: string;
  memoryMb: number;
  nodeOptions?: string;
  logLevel?: string;
}

/** The handler module without `functions/` and `.ts`: how the benchmark names a function. */
export const functionName = (entry: string) => entry.replace(/^functions\//, '').replace(/\.ts$/, '');

export function deployedFunctions(): DeployedFunction[] {
  const { stack } = synthMailroom({ stage: 'bench', version: '0.0.0-bench' }, 'Bench');
  const byEntry = new Map<string, DeployedFunction>();
  for (const construct of stack.node.findAll()) {
    if (!(construct instanceof AppFunction) || byEntry.has(construct.entry)) continue;
    const cfn = construct.function.node.defaultChild as CfnFunction;
    const environment = Stack.of(cfn).resolve(cfn.environment) as { Variables?: Record<string, unknown> } | undefined;
    const { NODE_OPTIONS: nodeOptions, POWERTOOLS_LOG_LEVEL: logLevel } = environment?.Variables ?? {};
    byEntry.set(construct.entry, {
      name: functionName(construct.entry),
      entry: construct.entry,
      memoryMb: Number(cfn.memorySize),
      nodeOptions: typeof nodeOptions === 'string' ? nodeOptions : undefined,
      logLevel: typeof logLevel === 'string' ? logLevel : undefined,
    });
  }
  return [...byEntry.values()];
}

/** The esbuild options CDK's NodejsFunction builds from these bundling options (aws-lambda-nodejs Bundling). */
export function esbuildOptions(bundling: BundlingOptions): BuildOptions & { outExtension: Record<string, string> } {
  const { format, target, minify, sourceMap, sourcesContent, mainFields, externalModules, esbuildArgs, banner, ...untranslated } = bundling;
  if (Object.keys(untranslated).length) throw new Error(`AppFunction bundling options the benchmark does not translate yet: ${Object.keys(untranslated).join(', ')}`);
  if (!target) throw new Error('AppFunction bundling has no target: the benchmark cannot tell which runtime CDK would derive it from');
  const { '--conditions': conditions, ...otherArgs } = esbuildArgs ?? {};
  if (Object.keys(otherArgs).length) throw new Error(`esbuild arguments the benchmark does not translate yet: ${Object.keys(otherArgs).join(', ')}`);
  return {
    bundle: true,
    platform: 'node',
    target,
    format,
    minify,
    sourcemap: sourceMap,
    sourcesContent,
    mainFields,
    external: externalModules,
    conditions: typeof conditions === 'string' ? conditions.split(',') : undefined,
    banner: banner ? { js: banner } : undefined,
    // CDK names an ESM bundle index.mjs.
    outExtension: { '.js': format === 'esm' ? '.mjs' : '.js' },
    logLevel: 'error',
  };
}

/** Where bundles are written: inside the project, so the AWS SDK clients they leave external resolve from node_modules. */
const BUNDLE_DIR = join(PROJECT_ROOT, 'node_modules', '.cache', 'mailroom-bench');

export async function measureFunctions(functions: DeployedFunction[], env: NodeJS.ProcessEnv): Promise<FunctionResult[]> {
  const options = esbuildOptions(APP_FUNCTION_BUNDLING);
  // One esbuild run for all entries; without code splitting each output is the same bundle a run per entry makes.
  await build({ ...options, absWorkingDir: PROJECT_ROOT, outdir: BUNDLE_DIR, entryPoints: functions.map((f) => ({ in: f.entry, out: join(f.name, 'index') })) });
  const bundle = (f: DeployedFunction) => join(BUNDLE_DIR, f.name, `index${options.outExtension['.js']}`);
  const loads = await mapLimited(functions, Math.min(4, availableParallelism()), (f) => coldLoadMs(bundle(f), { ...env, NODE_OPTIONS: f.nodeOptions ?? '' }));
  return functions.map((f, i) => ({ name: f.name, entry: f.entry, memoryMb: f.memoryMb, bundleBytes: statSync(bundle(f)).size, coldLoadMs: loads[i]! }));
}

/** Exits at once: a module may leave timers or sockets that would keep the process alive. */
const IMPORT_TIMER = `const started = performance.now(); await import(process.env.BENCH_BUNDLE_URL);
process.stdout.write('\\nbench-import-ms=' + (performance.now() - started), () => process.exit(0));`;
const COLD_LOAD_TIMEOUT_MS = 60_000;

/** A fresh node process imports the bundle, as Lambda's init phase does: the time of that import alone. */
function coldLoadMs(file: string, env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', IMPORT_TIMER], {
      env: { ...env, BENCH_BUNDLE_URL: pathToFileURL(file).href, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: COLD_LOAD_TIMEOUT_MS,
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = /bench-import-ms=([\d.]+)/.exec(out)?.[1];
      if (code === 0 && ms) resolve(Number(ms));
      else reject(new Error(`importing ${file} failed (exit ${code}): ${err.trim()}`));
    });
  });
}

async function mapLimited<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) results[i] = await fn(items[i]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
