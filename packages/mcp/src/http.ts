/**
 * Streamable HTTP, stateless: every POST gets a fresh server and transport, answers with JSON (no SSE
 * stream) and keeps no session, so any instance can answer any request.
 */
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import type { Mailroom } from '@mailroom/sdk';
import { createMailroomMcpServer, type KeyInfo } from './server.js';

/**
 * Answers one POST: a JSON-RPC answer (200), 202 for a notification, or a 4xx with a JSON-RPC error.
 * `parsedBody` is the message when the caller has read the body already.
 */
export async function handleMcpPost(request: Request, options: { mailroom: Mailroom; key: KeyInfo; parsedBody?: unknown }): Promise<Response> {
  const server = createMailroomMcpServer(options);
  const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  // The answer is always JSON, so a client that only accepts JSON (curl, a plain fetch) is served too.
  const headers = new Headers(request.headers);
  headers.set('accept', 'application/json, text/event-stream');
  await server.connect(transport);
  try {
    return await transport.handleRequest(new Request(request, { headers }), { parsedBody: options.parsedBody });
  } finally {
    await server.close();
  }
}
