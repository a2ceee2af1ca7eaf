/**
 * API Gateway's HTTP API (payload 2.0) event for a request, as the deployed integration delivers it to a route's
 * function: the local API server and the benchmark both build their events here.
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { RouteDefinition } from '../lib/routes.js';

/** Bodies of these content types arrive as text; any other body base64-encoded. */
const TEXT_TYPES = /^(text\/|application\/(.+\+)?(json|xml|x-www-form-urlencoded|javascript))/i;

/** API Gateway's route key: `METHOD /path/{param}`. */
export const routeKey = (route: Pick<RouteDefinition, 'method' | 'path'>) => `${route.method} ${route.path}`;

export interface ApiRequest {
  /** The matched route; none for the catch-all. */
  route: RouteDefinition | undefined;
  method: string;
  /** Path and query string as requested (`/v1/emails?limit=2`). */
  url: string;
  /** Lower-cased names; repeated headers already joined with commas. */
  headers: Record<string, string>;
  body: Buffer;
  pathParameters: Record<string, string> | undefined;
  sourceIp: string;
  protocol: string;
}

export function apiGatewayEvent(request: ApiRequest): APIGatewayProxyEventV2 {
  const url = new URL(request.url, 'http://localhost');
  const { cookie, ...headers } = request.headers;
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) query[name] = name in query ? `${query[name]},${value}` : value;
  const key = request.route ? routeKey(request.route) : '$default';
  const { body } = request;
  const isText = body.length === 0 || TEXT_TYPES.test(headers['content-type'] ?? '');
  const now = new Date();
  return {
    version: '2.0',
    routeKey: key,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    cookies: cookie?.split(';').map((c) => c.trim()),
    headers,
    queryStringParameters: Object.keys(query).length ? query : undefined,
    pathParameters: request.pathParameters,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'local',
      http: { method: request.method.toUpperCase(), path: url.pathname, protocol: request.protocol, sourceIp: request.sourceIp, userAgent: headers['user-agent'] ?? '' },
      requestId: randomUUID(),
      routeKey: key,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    body: body.length ? (isText ? body.toString('utf8') : body.toString('base64')) : undefined,
    isBase64Encoded: body.length > 0 && !isText,
  };
}
