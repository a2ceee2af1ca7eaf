/**
 * The command table and dispatch: the leading words pick the command (`inboxes read …`), the rest is parsed
 * by that command. Every failure ends as one line on stderr, `error <code>: <message> (request <id>)`, and
 * exit code 1.
 */
import { Mailroom, MailroomError } from '@mailroom/sdk';
import { GLOBAL_FLAGS, helpText, parseCommandLine, UsageError, type Command } from './command.js';
import { CliError, resolveConnection } from './config.js';
import { createOutput, terminalSafe, type Io } from './output.js';
import { emailsGet, emailsList } from './commands/emails.js';
import { inboxesCreate, inboxesGet, inboxesList, inboxesMessages, inboxesRead, inboxesReply } from './commands/inboxes.js';
import { keysCreate } from './commands/keys.js';
import { login } from './commands/login.js';
import { send } from './commands/send.js';
import { tail } from './commands/tail.js';

const COMMANDS = [
  login,
  send,
  emailsList,
  emailsGet,
  inboxesList,
  inboxesCreate,
  inboxesGet,
  inboxesMessages,
  inboxesRead,
  inboxesReply,
  tail,
  keysCreate,
] as unknown as readonly Command[];

/** The shell's code for a command stopped by Ctrl-C (128 + SIGINT). */
const INTERRUPTED = 130;

export async function main(argv: string[], io: Io, signal: AbortSignal): Promise<number> {
  const command = COMMANDS.find((candidate) => candidate.path.every((word, i) => argv[i] === word));
  if (!command) return unknownCommand(argv, io);
  try {
    const { values, positionals } = parseCommandLine(command, argv.slice(command.path.length));
    if (values.help) {
      io.stdout.write(`${helpText(command)}\n`);
      return 0;
    }
    const connection = await resolveConnection(io.env, values);
    await command.run({
      flags: values,
      args: positionals,
      connection,
      client: () => {
        if (!connection.apiKey) throw new CliError('missing_api_key', 'No API key: run `mailroom login`, set MAILROOM_API_KEY or pass --key.');
        return new Mailroom({ apiKey: connection.apiKey, baseUrl: connection.baseUrl });
      },
      out: createOutput(values.json === true, io),
      io,
      signal,
    });
    return 0;
  } catch (error) {
    if (signal.aborted) return INTERRUPTED;
    // Error messages can quote what the API was sent or received: shown terminal-safe, like all API text.
    io.stderr.write(`${terminalSafe(errorLine(error, command))}\n`);
    return 1;
  }
}

function errorLine(error: unknown, command: Command): string {
  if (error instanceof MailroomError) {
    const fields = error.errors.map((field) => `\n  ${field.field}: ${field.message}`).join('');
    // fetch says only "fetch failed"; the cause says why (ECONNREFUSED: is the API running?).
    const why = error.status === 0 ? deepestCause(error) : undefined;
    return `error ${error.code}: ${error.message}${why ? ` (${why})` : ''}${error.requestId ? ` (request ${error.requestId})` : ''}${fields}`;
  }
  if (error instanceof UsageError) return `error usage: ${error.message}\nSee: mailroom ${(error.command ?? command).path.join(' ')} --help`;
  if (error instanceof CliError) return `error ${error.code}: ${error.message}`;
  const code = (error as NodeJS.ErrnoException).code;
  return `error ${typeof code === 'string' ? code.toLowerCase() : 'unexpected'}: ${(error as Error).message}`;
}

function deepestCause(error: Error): string | undefined {
  let cause: unknown = error.cause;
  while (cause instanceof Error && cause.cause instanceof Error) cause = cause.cause;
  return cause instanceof Error && cause !== error ? cause.message : undefined;
}

/** No command matched: the overview (or a group's commands) on --help or no arguments, else a usage error. */
function unknownCommand(argv: string[], io: Io): number {
  const words = argv.filter((arg) => !arg.startsWith('-'));
  const wantsHelp = argv.length === 0 || argv.includes('--help') || argv.includes('-h');
  const group = COMMANDS.filter((command) => command.path.length > 1 && command.path[0] === words[0]);
  const shown = group.length > 0 ? group : COMMANDS;
  const overview = overviewText(shown);
  if (wantsHelp) {
    io.stdout.write(`${overview}\n`);
    return 0;
  }
  const what = words.length > 0 ? `Unknown command "${words.slice(0, group.length > 0 ? 2 : 1).join(' ')}".` : 'Give a command.';
  io.stderr.write(`error usage: ${what}\n\n${overview}\n`);
  return 1;
}

function overviewText(commands: readonly Command[]): string {
  const rows = commands.map((command) => [`mailroom ${[...command.path, ...(command.args ?? []).map((name) => `<${name}>`)].join(' ')}`, command.summary] as const);
  const width = Math.max(...rows.map(([usage]) => usage.length));
  const globals = Object.keys(GLOBAL_FLAGS).map((name) => `--${name}`).join(', ');
  return [
    'Usage: mailroom <command> [flags]',
    '',
    ...rows.map(([usage, summary]) => `  ${usage.padEnd(width)}  ${summary}`),
    '',
    `Every command takes ${globals}; \`mailroom <command> --help\` shows its flags.`,
    'Connection: --key/--base-url, else MAILROOM_API_KEY/MAILROOM_BASE_URL, else the saved `mailroom login`.',
  ].join('\n');
}
