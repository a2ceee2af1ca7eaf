/**
 * How a command is declared and its argv parsed (node:util parseArgs, strict): flags are declared once with
 * their help text, and a command's `run` receives them typed.
 */
import { parseArgs } from 'node:util';
import type { Mailroom } from '@mailroom/sdk';
import type { Connection } from './config.js';
import type { Io, Output } from './output.js';

export interface FlagSpec {
  type: 'string' | 'boolean';
  multiple?: boolean;
  short?: string;
  /** The value's placeholder in help: `--limit N`. */
  arg?: string;
  help: string;
}
export type Flags = Record<string, FlagSpec>;

type FlagValue<F extends FlagSpec> = F['type'] extends 'boolean' ? boolean : F['multiple'] extends true ? string[] : string;
export type Values<F extends Flags> = { [K in keyof F]?: FlagValue<F[K]> };

/** Every command takes these: connection overrides, JSON output and help. */
export const GLOBAL_FLAGS = {
  json: { type: 'boolean', help: 'Print the raw JSON answer.' },
  key: {
    type: 'string',
    arg: 'KEY',
    help: 'API key (default: MAILROOM_API_KEY, then the saved login). A flag shows in `ps` and shell history: prefer MAILROOM_API_KEY or `mailroom login` (key on stdin).',
  },
  'base-url': { type: 'string', arg: 'URL', help: 'API URL (default: MAILROOM_BASE_URL, then the saved login, then the local stack).' },
  help: { type: 'boolean', short: 'h', help: 'Show this help.' },
} as const satisfies Flags;

export interface CommandContext<F extends Flags> {
  flags: Values<F & typeof GLOBAL_FLAGS>;
  /** The positional arguments, in the order `args` names them. */
  args: string[];
  connection: Connection;
  /** A client for the resolved connection; fails with `missing_api_key` when there is no key. */
  client(): Mailroom;
  out: Output;
  /** The process's streams and environment (a test's, in-process). */
  io: Io;
  /** Aborted on Ctrl-C. */
  signal: AbortSignal;
}

export interface Command<F extends Flags = Flags> {
  /** The words that select it: `['inboxes', 'read']`. */
  path: readonly string[];
  /** Positional argument names, all required: `['id', 'message_id']`. */
  args?: readonly string[];
  summary: string;
  /** More help, shown under the usage line. */
  details?: string;
  flags: F;
  run(context: CommandContext<F>): Promise<void>;
}

/** Keeps the flags' literal types so `run` sees them typed. */
export const defineCommand = <const F extends Flags>(command: Command<F>): Command<F> => command;

/** A mistake on the command line: printed as `error usage: …` with a pointer to the help. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly command?: Command,
  ) {
    super(message);
  }
}

export function parseCommandLine<F extends Flags>(command: Command<F>, argv: string[]) {
  const flags: Flags = { ...command.flags, ...GLOBAL_FLAGS };
  const options = Object.fromEntries(
    Object.entries(flags).map(([name, { type, multiple, short }]) => [name, { type, ...(multiple && { multiple }), ...(short && { short }) }]),
  );
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: argv, options, strict: true, allowPositionals: true });
  } catch (error) {
    throw new UsageError((error as Error).message, command as unknown as Command);
  }
  const values = parsed.values as Values<F & typeof GLOBAL_FLAGS>;
  const expected = command.args ?? [];
  if (!values.help && parsed.positionals.length !== expected.length) {
    const missing = expected.slice(parsed.positionals.length);
    throw new UsageError(
      missing.length > 0 ? `Missing ${missing.map((name) => `<${name}>`).join(' ')}.` : `Unexpected argument "${parsed.positionals[expected.length]}".`,
      command as unknown as Command,
    );
  }
  return { values, positionals: parsed.positionals };
}

/** A flag's value as a whole number within bounds, or a usage error naming the flag. */
export function integerFlag(value: string | undefined, name: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number < min || number > max) throw new UsageError(`--${name} must be a whole number from ${min} to ${max}.`);
  return number;
}

/** A flag's value as a positive number of seconds (fractions allowed), or a usage error naming the flag. */
export function secondsFlag(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new UsageError(`--${name} must be a positive number of seconds.`);
  return seconds;
}

export function helpText(command: Command): string {
  const args = (command.args ?? []).map((name) => ` <${name}>`).join('');
  const lines = [`Usage: mailroom ${command.path.join(' ')}${args} [flags]`, '', command.summary];
  if (command.details) lines.push('', command.details);
  lines.push('', 'Flags:', ...flagLines(command.flags), '', 'Global flags:', ...flagLines(GLOBAL_FLAGS));
  return lines.join('\n');
}

function flagLines(flags: Flags): string[] {
  const entries = Object.entries(flags).map(([name, flag]) => {
    const label = `${flag.short ? `-${flag.short}, ` : ''}--${name}${flag.type === 'string' ? ` ${flag.arg ?? 'VALUE'}` : ''}`;
    return [label, `${flag.help}${flag.multiple ? ' Repeatable.' : ''}`] as const;
  });
  if (entries.length === 0) return ['  (none)'];
  const width = Math.max(...entries.map(([label]) => label.length));
  return entries.map(([label, help]) => `  ${label.padEnd(width)}  ${help}`.trimEnd());
}
