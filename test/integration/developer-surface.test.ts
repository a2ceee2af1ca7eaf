import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startLocalStack, type LocalStack } from '../support/local-stack.js';
import { openApiPath } from '../../functions/domain/openapi.js';
import { ROUTES } from '../../lib/routes.js';

let stack: LocalStack;
beforeAll(async () => {
  stack = await startLocalStack({ withWorkers: false });
});
afterAll(() => stack.stop());

describe('the API describes itself', () => {
  it('GET /openapi.json serves the OpenAPI 3.1 document of every route, without a key', async () => {
    const res = await call(stack.url, 'GET', '/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.body.openapi).toBe('3.1.0');
    const operationIds = Object.values(res.body.paths as Record<string, Record<string, { operationId: string }>>).flatMap((methods) => Object.values(methods).map((op) => op.operationId));
    expect(operationIds.sort()).toEqual(ROUTES.map((r) => r.id).sort());
    expect(res.body.paths['/v1/emails'].post.requestBody.content['application/json'].schema).toBeDefined();
  });

  it('GET /docs is a readable HTML reference that loads nothing from elsewhere', async () => {
    const res = await fetch(`${stack.url}/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await res.text();
    expect(html).toContain('<code>/v1/emails</code>');
    expect(html).toContain('Idempotency-Key');
  });

  it('GET /llms.txt lists the whole surface as plain text', async () => {
    const res = await fetch(`${stack.url}/llms.txt`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    for (const route of ROUTES) expect(text).toContain(`### ${route.method} ${openApiPath(route)} — `);
    expect(text).toContain('Authorization: Bearer');
  });
});
