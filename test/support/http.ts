/** Test helpers for raw HTTP (any method may carry a body, which fetch refuses for GET) and the error envelope. */
import { request } from 'node:http';
import { expect } from 'vitest';
import type { ApiResponse } from './local-stack.js';

export async function rawCall<T = any>(
  baseUrl: string,
  method: string,
  path: string,
  options: { key?: string; body?: string | Buffer; headers?: Record<string, string> } = {},
): Promise<ApiResponse<T>> {
  const url = new URL(path, baseUrl);
  const headers: Record<string, string> = { ...options.headers };
  if (options.key) headers.authorization = `Bearer ${options.key}`;
  if (options.body !== undefined) {
    headers['content-type'] ??= 'application/json';
    headers['content-length'] = String(Buffer.byteLength(options.body));
  }
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          body = text;
        }
        const responseHeaders = new Headers();
        for (const [name, value] of Object.entries(res.headers)) {
          if (value !== undefined) responseHeaders.set(name, Array.isArray(value) ? value.join(', ') : value);
        }
        resolve({ status: res.statusCode!, headers: responseHeaders, body: body as T });
      });
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/**
 * Asserts the one error envelope: status, code, a message, retryable as a boolean, a request id that equals
 * the X-Request-Id header, and no stack trace.
 */
export function expectError(res: ApiResponse, status: number, code: string, context = '', retryable = status === 429 || status >= 500) {
  const where = `${context} → ${res.status} ${JSON.stringify(res.body)}`;
  expect(res.status, where).toBe(status);
  expect(res.body?.error?.retryable, where).toBe(retryable);
  expect(res.headers.get('content-type') ?? '', where).toMatch(/^application\/json/);
  expect(res.body, where).toEqual({
    error: expect.objectContaining({ code, message: expect.any(String), retryable: expect.any(Boolean) }),
    request_id: expect.stringMatching(/^req_[0-9a-z]{26}$/),
  });
  expect(res.body.error.message.length, where).toBeGreaterThan(0);
  expect(res.headers.get('x-request-id'), where).toBe(res.body.request_id);
  expect(JSON.stringify(res.body), where).not.toMatch(/\n\s+at |\.ts:\d+/);
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns a truthy value or the time is up. */
export async function eventually<T>(check: () => Promise<T | undefined | false>, timeoutMs: number, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(intervalMs);
  }
}

/** Re-runs `check` (which asserts by throwing) until it passes or the time is up; returns its value. */
export async function expectEventually<T>(check: () => Promise<T>, timeoutMs = 10_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(intervalMs);
    }
  }
}
