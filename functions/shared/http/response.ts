import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { ApiError, toErrorBody } from '../errors.js';
import type { HttpResult } from './types.js';

export const formatEtag = (version: string | number) => `"${version}"`;

export function toResponse(result: HttpResult): APIGatewayProxyStructuredResultV2 {
  const headers: Record<string, string> = { ...result.headers };
  if (result.etag !== undefined) headers.ETag = formatEtag(result.etag);
  if (result.html !== undefined) {
    // Our own markup with inline styles only: nothing else may load or run.
    headers['Content-Type'] = 'text/html; charset=utf-8';
    headers['Content-Security-Policy'] = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'";
    headers['X-Content-Type-Options'] = 'nosniff';
    return { statusCode: result.status, headers, body: result.html };
  }
  if (result.text !== undefined) {
    headers['Content-Type'] = 'text/plain; charset=utf-8';
    return { statusCode: result.status, headers, body: result.text };
  }
  if (result.body === undefined) return { statusCode: result.status, headers };
  headers['Content-Type'] = 'application/json; charset=utf-8';
  return { statusCode: result.status, headers, body: JSON.stringify(result.body) };
}

export function errorResponse(error: ApiError, requestId: string): APIGatewayProxyStructuredResultV2 {
  const headers: Record<string, string> = { ...error.options.headers };
  if (error.status === 429 || error.status === 503) headers['Retry-After'] ??= '1';
  return toResponse({ status: error.status, body: toErrorBody(error, requestId), headers });
}
