import { Mailroom } from '@mailroom/sdk';
import { handleMcpPost, type KeyInfo } from '@mailroom/mcp';
import { httpHandler } from '../../shared/http/handler.js';
import { header } from '../../shared/http/request.js';
import { ApiError } from '../../shared/errors.js';
import { config } from '../../shared/config.js';
import { McpMessage } from '../../schemas/platform.js';
import type { Principal } from '../../shared/http/types.js';

/** The headers the Streamable HTTP transport reads; the body is already parsed. */
const TRANSPORT_HEADERS = ['accept', 'content-type', 'mcp-protocol-version', 'mcp-session-id'];

const keyInfo = (principal: Principal): KeyInfo => ({
  kind: principal.kind,
  key_id: principal.keyId,
  scopes: [...principal.scopes],
  inbox_id: principal.kind === 'inbox' ? principal.inboxId : null,
});

export const handler = httpHandler('mcp.post', { body: McpMessage }, async ({ body, event, principal }) => {
  const headers = new Headers();
  for (const name of TRANSPORT_HEADERS) {
    const value = header(event, name);
    if (value) headers.set(name, value);
  }
  // The tools call the API back with the caller's own key, so its scopes, rate limits and audit log apply to each call.
  // No retries within the function's time limit (which also bounds a call that hangs): a retryable failure goes back
  // to the agent as a tool error saying so.
  const mailroom = new Mailroom({ apiKey: header(event, 'authorization')!.replace(/^Bearer\s+/i, ''), baseUrl: config.publicApiUrl, maxRetries: 0 });
  const response = await handleMcpPost(new Request(`${config.publicApiUrl}/mcp`, { method: 'POST', headers }), { mailroom, key: keyInfo(principal), parsedBody: body });
  const text = await response.text();
  if (!response.ok) {
    // The transport's refusals (a message it cannot take, an unknown protocol version) carry a JSON-RPC error.
    const message = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? `The MCP transport answered ${response.status}.`;
    throw new ApiError('invalid_parameter', message);
  }
  return { status: response.status, ...(text && { body: JSON.parse(text) }) };
});
