/** Tool arguments back to the API request they stand for: path parameters, query and body. */
import { createHash } from 'node:crypto';
import type { Operation } from './operation.js';

/** Arguments the tool cannot take: reported to the agent as a tool error, so it can fix the call. */
export class ToolInputError extends Error {}

export interface ToolRequest {
  params: Record<string, string>;
  query: Record<string, unknown>;
  body?: Record<string, unknown>;
}

/**
 * Sorts every argument into where the operation takes it. An argument the tool does not declare is refused
 * rather than dropped: a misspelt `cc` must not send the mail without its copy.
 */
export function toRequest(operation: Operation, args: Record<string, unknown>, tool: { inputs: readonly string[]; prefilled: Record<string, string> }): ToolRequest {
  const unknown = Object.keys(args).filter((name) => !tool.inputs.includes(name));
  if (unknown.length) {
    const names = unknown.map((name) => `"${name}"`).join(', ');
    throw new ToolInputError(`Unknown argument${unknown.length > 1 ? 's' : ''} ${names}. This tool takes: ${tool.inputs.join(', ') || 'no arguments'}.`);
  }
  const request: ToolRequest = { params: {}, query: {} };
  if (Object.values(operation.inputs).includes('body')) request.body = {};
  for (const [name, value] of Object.entries({ ...args, ...tool.prefilled })) {
    if (value === undefined) continue;
    const location = operation.inputs[name];
    if (location === 'path') request.params[name] = String(value);
    else if (location === 'query') request.query[name] = value;
    else if (location === 'body') request.body![name] = value;
  }
  const missing = Object.entries(operation.inputs).filter(([name, location]) => location === 'path' && !request.params[name]);
  if (missing.length) throw new ToolInputError(`Missing ${missing.map(([name]) => `"${name}"`).join(', ')}.`);
  return request;
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The Idempotency-Key of a call that creates or sends, from the key that calls and what it asks for: an agent
 * that repeats a call (a retry after a lost answer, a loop) gets the first answer back instead of a second email.
 * The API keeps answers per team, so the key's id is hashed in: another key of the team that guesses the
 * arguments cannot rebuild the Idempotency-Key and replay this key's answer (a new inbox's key) without also
 * knowing this key's id, which only admin keys can list.
 */
export function derivedIdempotencyKey(keyId: string, operationId: string, request: ToolRequest): string {
  return `mcp-${createHash('sha256').update(`${keyId}\n${operationId}\n${canonicalJson(request)}`).digest('base64url')}`;
}
