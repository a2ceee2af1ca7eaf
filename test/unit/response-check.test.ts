import { describe, expect, it } from 'vitest';
import { createResponseCheck } from '../../local/response-check.js';
import { routeById } from '../../lib/routes.js';

const check = createResponseCheck();
const json = (statusCode: number, body: unknown) => ({ statusCode, headers: { 'Content-Type': 'application/json; charset=utf-8' }, body: JSON.stringify(body) });

describe('the local response check (answers held to the OpenAPI document)', () => {
  const health = routeById('health.get');

  it('passes an answer that matches its declared schema', () => {
    expect(check(health, json(200, { ok: true, version: '1.0.0' }))).toBeUndefined();
    expect(check(health, json(500, { error: { code: 'internal_error', message: 'x', retryable: true }, request_id: 'req_1' }))).toBeUndefined();
  });

  it('names the field of an answer that breaks its schema, including undeclared fields', () => {
    expect(check(health, json(200, { ok: true }))).toMatch(/health\.get 200: .*version/);
    expect(check(health, json(200, { ok: true, version: '1', extra: 1 }))).toMatch(/must NOT have additional properties \(extra\)/);
  });

  it('refuses a status the route does not declare', () => {
    expect(check(health, json(201, { ok: true, version: '1' }))).toMatch(/not declared/);
    expect(check(routeById('teams.delete'), json(204, { ok: true }))).toMatch(/not declared/);
  });

  it('checks unmatched requests (the fallback) against the error envelope', () => {
    expect(check(undefined, json(404, { error: { code: 'not_found', message: 'x', retryable: false }, request_id: 'req_1' }))).toBeUndefined();
    expect(check(undefined, json(404, { message: 'Not Found' }))).toMatch(/unmatched route 404/);
  });
});
