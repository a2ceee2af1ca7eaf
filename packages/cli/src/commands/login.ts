import { createInterface } from 'node:readline';
import { Mailroom, type OperationResult } from '@mailroom/sdk';
import { defineCommand } from '../command.js';
import { CliError, saveLogin } from '../config.js';
import type { Io } from '../output.js';

export const login = defineCommand({
  path: ['login'],
  summary: 'Check an API key and save it, with the API URL, for the other commands.',
  details: [
    'The key comes from --key, else MAILROOM_API_KEY, else the first line of stdin (typed or piped).',
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

async function readKeyFromStdin(io: Io): Promise<string | undefined> {
  if (io.stdin.isTTY) io.stderr.write('API key: ');
  const lines = createInterface({ input: io.stdin, terminal: false });
  for await (const line of lines) {
    if (line.trim()) {
      lines.close();
      return line.trim();
    }
  }
  return undefined;
}
