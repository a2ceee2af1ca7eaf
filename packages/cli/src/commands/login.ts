import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { Mailroom, type OperationResult } from '@mailroom/sdk';
import { defineCommand } from '../command.js';
import { CliError, saveLogin } from '../config.js';
import type { Io } from '../output.js';

export const login = defineCommand({
  path: ['login'],
  summary: 'Check an API key and save it, with the API URL, for the other commands.',
  details: [
    'The key comes from --key, else MAILROOM_API_KEY, else stdin: typed at the prompt (not shown) or the first line piped in.',
    'Prefer stdin or MAILROOM_API_KEY to --key: a flag shows in `ps` and in shell history.',
    'It is checked with GET /v1/me, then saved to $MAILROOM_CONFIG (default ~/.config/mailroom/config.json, mode 0600).',
  ].join('\n'),
  flags: {},
  async run({ connection, flags, out, io, signal }) {
    const apiKey = flags.key || io.env.MAILROOM_API_KEY || (await readKeyFromStdin(io));
    if (!apiKey) throw new CliError('missing_api_key', 'No API key: pass --key, set MAILROOM_API_KEY or type it on stdin.');
    const me = await new Mailroom({ apiKey, baseUrl: connection.baseUrl }).me({ signal });
    const path = await saveLogin(io.env, { baseUrl: connection.baseUrl, apiKey });
    out.result(me, () => {
      out.line(`Logged in to ${connection.baseUrl} as ${describeKey(me)}.`);
      out.line(`Saved to ${path}.`);
    });
  },
});

function describeKey(me: OperationResult<'me.get'>) {
  if (me.kind === 'root') return 'the root key';
  const scopes = `scopes ${me.scopes.join(', ')}`;
  if (me.kind === 'inbox') return `inbox key "${me.key_name}" of team ${me.team?.slug} (inbox ${me.inbox_id}, ${scopes})`;
  return `key "${me.key_name}" of team ${me.team?.slug} (${scopes})`;
}

/** The key from stdin: typed at a terminal without being shown, or the first non-blank line of a pipe. */
export function readKeyFromStdin(io: Pick<Io, 'stdin' | 'stderr'>): Promise<string | undefined> {
  return io.stdin.isTTY ? promptHidden(io) : firstLine(io.stdin);
}

/**
 * One line typed at the terminal, never echoed: readline keeps its line editing (backspace works) but draws
 * into a stream that discards everything. In raw mode Ctrl-C is a key, not a signal: it cancels the login.
 */
function promptHidden({ stdin, stderr }: Pick<Io, 'stdin' | 'stderr'>): Promise<string | undefined> {
  stderr.write('API key (not shown): ');
  const muted = new Writable({ write: (_chunk, _encoding, done) => done() });
  const lines = createInterface({ input: stdin, output: muted, terminal: true, historySize: 0 });
  return new Promise((resolve, reject) => {
    // Settle before close(): closing emits 'close', which settles with "no key".
    lines.once('line', (line) => {
      resolve(line.trim() || undefined);
      lines.close();
    });
    lines.once('SIGINT', () => {
      reject(new CliError('cancelled', 'Login cancelled.'));
      lines.close();
    });
    lines.once('close', () => {
      stderr.write('\n');
      resolve(undefined);
    });
  });
}

async function firstLine(input: Io['stdin']): Promise<string | undefined> {
  const lines = createInterface({ input, terminal: false });
  for await (const line of lines) {
    if (line.trim()) {
      lines.close();
      return line.trim();
    }
  }
  return undefined;
}
