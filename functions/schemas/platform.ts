/** Routes about the deployment and the caller rather than a resource: health, who am I, the API's own description, MCP. */
import * as z from 'zod';
import { SCOPES } from '../shared/auth/scopes.js';
import { defineRoutes } from './contract.js';

export const Health = z
  .object({ ok: z.literal(true), version: z.string().describe('The deployed Mailroom version.') })
  .meta({ id: 'Health' });

export const Me = z
  .object({
    kind: z.enum(['root', 'team', 'inbox']).describe('`root` manages teams; `team` keys act for one team; `inbox` keys reach one inbox.'),
    key_id: z.string(),
    key_name: z.string().optional(),
    scopes: z.array(z.enum(SCOPES)),
    inbox_id: z.string().nullable().optional().describe('The inbox an inbox key is limited to.'),
    team: z.object({ id: z.string(), slug: z.string(), name: z.string() }).nullable(),
  })
  .meta({ id: 'Me' });

/** One JSON-RPC 2.0 message from an MCP client: a request (with `id`) or a notification (without). */
export const McpMessage = z
  .looseObject({
    jsonrpc: z.literal('2.0'),
    id: z.union([z.string(), z.int()]).optional().describe('Present on requests, absent on notifications.'),
    method: z.string().min(1).max(200).describe('`initialize`, `tools/list`, `tools/call`, `ping`, `notifications/initialized`, …'),
    params: z.record(z.string(), z.unknown()).optional(),
  })
  .meta({ id: 'McpMessage' });

/** The JSON-RPC answer to a request: its `result`, or an `error` (a protocol error; a failed tool call is a result with `isError`). */
export const McpAnswer = z
  .object({
    jsonrpc: z.literal('2.0'),
    id: z.union([z.string(), z.number(), z.null()]),
    result: z.record(z.string(), z.unknown()).optional(),
    error: z.object({ code: z.int(), message: z.string(), data: z.unknown().optional() }).optional(),
  })
  .meta({ id: 'McpAnswer' });

export const PLATFORM_ROUTES = defineRoutes({
  'health.get': {
    summary: 'Check the API is up',
    description: 'Answers without a key; use it for load balancer and uptime checks.',
    responses: { 200: Health },
  },
  'me.get': {
    summary: 'Describe the calling key',
    description: 'Which kind of key this is, its scopes, its team and (for inbox keys) its inbox. Clients use it to learn what they may call.',
    responses: { 200: Me },
  },
  'reference.openapi': {
    summary: 'Get the OpenAPI document',
    description: 'This API as an OpenAPI 3.1 document, generated from the route table and its zod schemas.',
    responses: { 200: { contentType: 'application/json', description: 'The OpenAPI 3.1 document.' } },
  },
  'reference.docs': {
    summary: 'Read the API reference',
    description: 'A readable HTML reference generated from the OpenAPI document.',
    responses: { 200: { contentType: 'text/html', description: 'The API reference page.' } },
  },
  'reference.llms': {
    summary: 'Get the API as plain text for coding agents',
    description: 'Every route with its parameters, body fields and answers, as plain text (the llms.txt convention).',
    responses: { 200: { contentType: 'text/plain', description: 'The API surface as plain text.' } },
  },
  'mcp.post': {
    summary: 'Talk to the MCP server',
    description: [
      'The Model Context Protocol over Streamable HTTP, stateless: one JSON-RPC message per POST (`initialize`, `tools/list`,',
      '`tools/call`, …), answered with JSON (200; 202 for a notification), with no SSE stream and no session. The tools act',
      'with the calling key, which answers for every call they make: a read-only key sees only the read tools, an inbox key',
      "only its own inbox's. A failed tool call is a result with `isError: true` and the API error's code and message.",
      '`npx mailroom-mcp` serves the same tools over stdio.',
    ].join(' '),
    body: McpMessage,
    responses: { 200: McpAnswer, 202: null },
  },
});
