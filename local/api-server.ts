/**
 * The HTTP API offline: each request becomes an API Gateway HTTP API payload-2.0 event and is handed to
 * the route's real handler in-process, as API Gateway would invoke its Lambda. Unmatched requests go to
 * the `$default` fallback handler; CORS is answered the way API Gateway's CORS configuration does.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { FALLBACK_HANDLER, handlerFile, matchRoute, type RouteDefinition } from '../lib/routes.js';
import { allowedOrigin, CORS } from '../lib/cors.js';
import { HTTP_FUNCTION_TIMEOUT_SECONDS } from '../lib/function-defaults.js';
import { lambdaContext, loadHandler } from './lambda.js';
import { listenOn } from './http-helpers.js';
import { apiGatewayEvent } from './api-event.js';
import { createResponseCheck, type ResponseCheck } from './response-check.js';

/** API Gateway HTTP API limits. */
const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;
const INTEGRATION_TIMEOUT_MS = 30_000;

export interface ApiServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startApiServer(options: { port: number; host?: string; corsOrigins?: readonly string[] }): Promise<ApiServer> {
  const corsOrigins = options.corsOrigins ?? [];
  const check = process.env.MAILROOM_CHECK_RESPONSES === 'true' ? createResponseCheck() : undefined;
  const server: Server = createServer((req, res) => {
    handle(req, res, corsOrigins, check).catch((error) => {
      // Only reached if the handler module itself cannot load: API Gateway answers such failures with a bare 500.
      process.stderr.write(`local api: ${(error as Error).stack}\n`);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: 'Internal Server Error' }));
    });
  });
  // Longer than clients keep idle sockets (undici: 4 s), so a reused socket is never closed under a request.
  server.keepAliveTimeout = 65_000;
  await listenOn(server, options.port, options.host);
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function readBody(req: IncomingMessage): Promise<Buffer | 'too_large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_PAYLOAD_BYTES) return 'too_large';
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** The request as API Gateway hands it to the route's function (cookies apart, as payload 2.0 does). */
function toEvent(req: IncomingMessage, body: Buffer, route: RouteDefinition | undefined, pathParameters: Record<string, string> | undefined): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  return apiGatewayEvent({
    route,
    method: req.method ?? 'GET',
    url: req.url ?? '/',
    headers,
    body,
    pathParameters,
    sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
    protocol: `HTTP/${req.httpVersion}`,
  });
}

function corsHeaders(req: IncomingMessage, corsOrigins: readonly string[]): Record<string, string> {
  const origin = allowedOrigin(req.headers.origin, corsOrigins);
  if (!origin) return {};
  return { 'access-control-allow-origin': origin, 'access-control-expose-headers': CORS.exposeHeaders.join(','), vary: 'Origin' };
}

async function handle(req: IncomingMessage, res: ServerResponse, corsOrigins: readonly string[], check: ResponseCheck | undefined) {
  const method = (req.method ?? 'GET').toUpperCase();
  if (corsOrigins.length && method === 'OPTIONS' && req.headers['access-control-request-method']) {
    const origin = allowedOrigin(req.headers.origin, corsOrigins);
    res.writeHead(204, origin ? {
      'access-control-allow-origin': origin,
      'access-control-allow-methods': CORS.allowMethods.join(','),
      'access-control-allow-headers': CORS.allowHeaders.join(','),
      'access-control-max-age': String(CORS.maxAgeSeconds),
      vary: 'Origin',
    } : {});
    res.end();
    return;
  }
  const body = await readBody(req);
  if (body === 'too_large') {
    res.writeHead(413, { 'content-type': 'application/json', ...corsHeaders(req, corsOrigins) });
    res.end(JSON.stringify({ message: 'Request Entity Too Large' }));
    return;
  }
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  const matched = matchRoute(method, path);
  const file = matched ? handlerFile(matched.route) : FALLBACK_HANDLER;
  const event = toEvent(req, body, matched?.route, matched && Object.keys(matched.params).length ? matched.params : undefined);
  const handler = await loadHandler<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 | string | object>(file);
  const context = lambdaContext(`mailroom-${matched?.route.id ?? 'fallback'}`, HTTP_FUNCTION_TIMEOUT_SECONDS);
  let timer: NodeJS.Timeout | undefined;
  const result = await Promise.race([
    handler(event, context),
    new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), INTEGRATION_TIMEOUT_MS))),
  ]).finally(() => clearTimeout(timer));
  if (result === 'timeout') {
    res.writeHead(503, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ message: 'Service Unavailable' }));
    return;
  }
  const violation = check && typeof result === 'object' && 'statusCode' in result ? check(matched?.route, result) : undefined;
  if (violation) {
    process.stderr.write(`local api: response_contract_violation: ${violation}\n`);
    res.writeHead(500, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { code: 'response_contract_violation', message: violation, retryable: false }, request_id: event.requestContext.requestId }));
    return;
  }
  writeResult(res, result, corsHeaders(req, corsOrigins));
}

/** Payload 2.0 response rules: a structured result is used as is; anything else is a 200 JSON body. */
function writeResult(res: ServerResponse, result: APIGatewayProxyStructuredResultV2 | string | object, extra: Record<string, string>) {
  const structured = typeof result === 'object' && result !== null && 'statusCode' in result;
  if (!structured) {
    res.writeHead(200, { 'content-type': 'application/json', ...extra });
    res.end(typeof result === 'string' ? result : JSON.stringify(result));
    return;
  }
  const r = result as APIGatewayProxyStructuredResultV2;
  const headers: Record<string, string | string[]> = { ...extra };
  for (const [name, value] of Object.entries(r.headers ?? {})) headers[name.toLowerCase()] = String(value);
  if (r.cookies?.length) headers['set-cookie'] = r.cookies;
  res.writeHead(r.statusCode ?? 200, headers);
  res.end(r.body === undefined ? undefined : r.isBase64Encoded ? Buffer.from(r.body, 'base64') : r.body);
}
