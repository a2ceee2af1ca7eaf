/**
 * `npx mailroom-mcp`: the MCP server over stdio for local agents. The key comes from MAILROOM_API_KEY, the API
 * from MAILROOM_BASE_URL; GET /v1/me tells which tools the key may use.
 */
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { Mailroom, MailroomError } from '@mailroom/sdk';
import { createMailroomMcpServer, RootKeyError } from './server.js';

const DEFAULT_BASE_URL = 'http://127.0.0.1:8787';

function fail(message: string): never {
  // stdout carries the protocol: anything for people goes to stderr.
  process.stderr.write(`mailroom-mcp: ${message}\n`);
  process.exit(1);
}

const apiKey = process.env.MAILROOM_API_KEY;
if (!apiKey) fail('set MAILROOM_API_KEY to a team key or an inbox key (mr_…).');
const baseUrl = process.env.MAILROOM_BASE_URL || DEFAULT_BASE_URL;
const mailroom = new Mailroom({ apiKey, baseUrl });

const key = await mailroom.request('me.get').catch((error: unknown) => {
  if (!(error instanceof MailroomError)) throw error;
  return fail(error.status === 0 ? `cannot reach ${baseUrl}: ${error.message}` : `${baseUrl} refused the key: ${error.code}: ${error.message}`);
});
if (key.kind === 'root') fail(new RootKeyError().message);
await createMailroomMcpServer({ mailroom, key }).connect(new StdioServerTransport());
