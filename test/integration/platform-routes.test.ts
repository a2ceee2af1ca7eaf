/**
 * Walks every entry of the route table through the local HTTP API and checks the conventions every route
 * must keep: authentication, revocation, scopes, tenancy (404 across teams), body parsing and validation,
 * the UTF-8 body cap, and the one error envelope with X-Request-Id. A new route is covered automatically;
 * a new route with a body or a path parameter adds its cases in test/integration/route-cases/<feature>.ts.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MAX_BODY_BYTES, ROUTES, type RouteDefinition } from '../../lib/routes.js';
import { generateToken } from '../../functions/shared/auth/api-key-token.js';
import { newId } from '../../functions/shared/ids.js';
import { call, createTeam, startLocalStack, type LocalStack } from '../support/local-stack.js';
import { expectError, rawCall } from '../support/http.js';
import type { RouteCases } from '../support/route-cases.js';

const routes = ROUTES as readonly RouteDefinition[];
const authenticated = routes.filter((r) => r.access !== 'public');
const withId = routes.filter((r) => r.path.includes('{id}'));
const hasBody = (r: RouteDefinition) => (r.method === 'POST' || r.method === 'PATCH' || r.method === 'PUT') && !CASES[r.id]?.noBody;

let stack: LocalStack;

/** Per-feature cases (test/integration/route-cases/<feature>.ts): bodies, and paths to a team's own resources. */
const caseDir = new URL('./route-cases/', import.meta.url);
const CASES: RouteCases = Object.assign(
  {},
  ...(await Promise.all(
    readdirSync(caseDir)
      .filter((file) => file.endsWith('.ts'))
      .map(async (file) => ((await import(new URL(file, caseDir).href)) as { cases: RouteCases }).cases),
  )),
);
const BODY_CASES = Object.fromEntries(Object.entries(CASES).flatMap(([id, c]) => (c.body ? [[id, c.body]] : [])));
/** Concrete paths to team A's resources, for routes whose feature provides them. */
const resourcePaths: Record<string, string> = {};

const keys = {} as {
  root: string;
  admin: string;
  read: string;
  revoked: string;
  otherTeamAdmin: string;
};
let victimKeyId: string;
let victimKey: string;
let targetTeamId: string;
let teamAKeyCount: number;

beforeAll(async () => {
  stack = await startLocalStack({ withWorkers: false });
  keys.root = stack.rootKey;
  const [a, b, c] = await Promise.all([createTeam(stack, 'routes-a'), createTeam(stack, 'routes-b'), createTeam(stack, 'routes-c')]);
  keys.admin = a.adminKey;
  keys.otherTeamAdmin = b.adminKey;
  targetTeamId = c.team.id;
  const create = async (body: object) => {
    const res = await call(stack.url, 'POST', '/v1/api-keys', { key: keys.admin, body });
    expect(res.status).toBe(201);
    return res.body;
  };
  const [read, revoked, victim] = await Promise.all([
    create({ name: 'read only', scopes: ['read'] }),
    create({ name: 'to revoke', scopes: ['admin'] }),
    create({ name: 'victim', scopes: ['admin'] }),
  ]);
  keys.read = read.key;
  keys.revoked = revoked.key;
  victimKeyId = victim.id;
  victimKey = victim.key;
  expect((await call(stack.url, 'DELETE', `/v1/api-keys/${revoked.id}`, { key: keys.admin })).status).toBe(200);
  expect((await call(stack.url, 'GET', '/v1/api-keys?limit=100', { key: keys.admin })).body.data).toHaveLength(3);
  for (const route of routes) {
    const make = CASES[route.id]?.path;
    if (make) resourcePaths[route.id] = await make({ url: stack.url, adminKey: keys.admin });
  }
  // Counted after the path cases: some resources come with keys of their own (an inbox has its inbox key).
  teamAKeyCount = (await call(stack.url, 'GET', '/v1/api-keys?limit=100', { key: keys.admin })).body.data.length;
});

afterAll(async () => {
  // Nothing that failed may have changed anything: team C still exists, team A has the same keys, the victim works.
  expect((await call(stack.url, 'GET', `/v1/teams/${targetTeamId}`, { key: keys.root })).status).toBe(200);
  const list = await call(stack.url, 'GET', '/v1/api-keys?limit=100', { key: keys.admin });
  expect(list.body.data.map((k: { id: string }) => k.id)).toContain(victimKeyId);
  expect(list.body.data).toHaveLength(teamAKeyCount);
  const victim = await call(stack.url, 'GET', `/v1/api-keys/${victimKeyId}`, { key: keys.admin });
  expect(victim.body.name).toBe('victim');
  expect((await call(stack.url, 'GET', '/v1/me', { key: victimKey })).status).toBe(200);
  await stack.stop();
});

/** The route's path with `{id}` filled by a resource that exists and that `allowedKey` may act on. */
function pathOf(route: RouteDefinition, id?: string): string {
  const routeCase = CASES[route.id];
  if (id !== undefined) return routeCase?.missingPath ? routeCase.missingPath() : route.path.replace('{id}', id);
  if (resourcePaths[route.id]) return resourcePaths[route.id]!;
  return route.path.replace('{id}', route.path.startsWith('/v1/teams') ? targetTeamId : victimKeyId);
}

/** A key that passes the route's access rule. */
function allowedKey(route: RouteDefinition): string | undefined {
  if (route.access === 'public') return undefined;
  if (route.access === 'root') return keys.root;
  return keys.admin;
}

function validBody(route: RouteDefinition): string | undefined {
  return hasBody(route) ? JSON.stringify(BODY_CASES[route.id]!.valid()) : undefined;
}

const label = (r: RouteDefinition) => `${r.id} (${r.method} ${r.path})`;

describe('every route', () => {
  it('has bad-body cases for exactly the routes that take a body', () => {
    expect(Object.keys(BODY_CASES).sort()).toEqual(routes.filter(hasBody).map((r) => r.id).sort());
  });

  it.each(authenticated.map((r) => [label(r), r] as const))('%s: no key → 401 authentication_required', async (_l, route) => {
    const res = await rawCall(stack.url, route.method, pathOf(route), { body: validBody(route) });
    expectError(res, 401, 'authentication_required');
    const malformed = await rawCall(stack.url, route.method, pathOf(route), { body: validBody(route), headers: { authorization: `Basic ${keys.admin}` } });
    expectError(malformed, 401, 'authentication_required');
  });

  it.each(authenticated.map((r) => [label(r), r] as const))('%s: unknown, forged or revoked key → 401', async (_l, route) => {
    const unknown = generateToken(newId('apiKey'));
    const forgedRoot = `mr_root_${randomBytes(32).toString('base64url')}`;
    const forgedSecret = `${keys.admin.slice(0, 'mr_'.length + 26 + 1)}${randomBytes(32).toString('base64url')}`;
    for (const key of [unknown, forgedRoot, forgedSecret, keys.revoked]) {
      const res = await rawCall(stack.url, route.method, pathOf(route), { key, body: validBody(route) });
      expectError(res, 401, 'authentication_required', key === keys.revoked ? 'revoked' : 'forged');
    }
  });

  it.each(withId.filter((r) => r.access !== 'public' && r.access !== 'root').map((r) => [label(r), r] as const))(
    "%s: another team's resource → 404 not_found, and it is left untouched",
    async (_l, route) => {
      const res = await rawCall(stack.url, route.method, pathOf(route), { key: keys.otherTeamAdmin, body: validBody(route) });
      expectError(res, 404, 'not_found');
      // Identical to a resource that does not exist at all: existence is not revealed.
      const missing = await rawCall(stack.url, route.method, pathOf(route, newId('apiKey')), { key: keys.otherTeamAdmin, body: validBody(route) });
      expectError(missing, 404, 'not_found');
      expect(missing.body.error.message).toBe(res.body.error.message);
    },
  );

  it.each(withId.filter((r) => r.access === 'root').map((r) => [label(r), r] as const))('%s: an id that does not exist → 404 not_found', async (_l, route) => {
    const res = await rawCall(stack.url, route.method, pathOf(route, newId('team')), { key: keys.root, body: validBody(route) });
    expectError(res, 404, 'not_found');
  });

  it.each(authenticated.filter((r) => r.access === 'root').map((r) => [label(r), r] as const))('%s: a team admin key → 403 (root only)', async (_l, route) => {
    const res = await rawCall(stack.url, route.method, pathOf(route), { key: keys.admin, body: validBody(route) });
    expectError(res, 403, 'insufficient_permissions');
  });

  const scoped = authenticated.filter((r) => typeof r.access === 'object' && r.access.scope !== 'any' && r.access.scope !== 'read');
  it.each(scoped.map((r) => [label(r), r] as const))('%s: a key without the scope → 403 insufficient_permissions', async (_l, route) => {
    const res = await rawCall(stack.url, route.method, pathOf(route), { key: keys.read, body: validBody(route) });
    expectError(res, 403, 'insufficient_permissions');
    expect(res.body.error.required_scope).toBe((route.access as { scope: string }).scope);
  });

  const teamOnly = authenticated.filter((r) => typeof r.access === 'object' && !r.access.root);
  it.each(teamOnly.map((r) => [label(r), r] as const))('%s: the root key → 403 (team routes need a team key)', async (_l, route) => {
    const res = await rawCall(stack.url, route.method, pathOf(route), { key: keys.root, body: validBody(route) });
    expectError(res, 403, 'insufficient_permissions');
  });

  it.each(routes.map((r) => [label(r), r] as const))('%s: invalid JSON → 400 invalid_parameter (param body)', async (_l, route) => {
    const res = await rawCall(stack.url, route.method, pathOf(route), { key: allowedKey(route), body: '{"name": "unterminated' });
    expectError(res, 400, 'invalid_parameter');
    expect(res.body.error.param).toBe('body');
  });

  it.each(routes.filter((r) => !hasBody(r)).map((r) => [label(r), r] as const))('%s: takes no body → 400 for a JSON body', async (_l, route) => {
    const res = await rawCall(stack.url, route.method, pathOf(route), { key: allowedKey(route), body: '{"unexpected":true}' });
    expectError(res, 400, 'invalid_parameter');
  });

  it.each(routes.filter(hasBody).map((r) => [label(r), r] as const))('%s: wrong field types → 400 listing every field, param = first', async (_l, route) => {
    const { body, fields } = BODY_CASES[route.id]!.wrongTypes;
    const res = await rawCall(stack.url, route.method, pathOf(route), { key: allowedKey(route), body: JSON.stringify(body) });
    expectError(res, 400, 'invalid_parameter');
    expect(res.body.error.errors.map((e: { field: string }) => e.field)).toEqual(fields);
    expect(res.body.error.errors.every((e: { code: string; message: string }) => e.code && e.message)).toBe(true);
    expect(res.body.error.param).toBe(fields[0]);
  });

  it.each(routes.filter(hasBody).map((r) => [label(r), r] as const))('%s: broken rules → 422 validation_error listing every field, param = first', async (_l, route) => {
    const { body, fields } = BODY_CASES[route.id]!.rules;
    const res = await rawCall(stack.url, route.method, pathOf(route), { key: allowedKey(route), body: JSON.stringify(body) });
    expectError(res, 422, 'validation_error');
    expect(res.body.error.errors.map((e: { field: string }) => e.field)).toEqual(fields);
    expect(res.body.error.param).toBe(fields[0]);
  });

  it.each(routes.map((r) => [label(r), r] as const))('%s: a body over 64 KiB in UTF-8 bytes (fewer characters) → 413', async (_l, route) => {
    const limit = route.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    // "é" is 2 bytes: the body is under the limit in characters and over it in bytes.
    const body = JSON.stringify({ name: 'é'.repeat(Math.ceil(limit / 2) + 8) });
    expect(body.length).toBeLessThan(limit);
    expect(Buffer.byteLength(body)).toBeGreaterThan(limit);
    const res = await rawCall(stack.url, route.method, pathOf(route), { key: allowedKey(route), body });
    expectError(res, 413, 'payload_too_large');
  });

  it.each(routes.filter(hasBody).map((r) => [label(r), r] as const))('%s: a multi-byte body just under the byte cap is not refused as too large', async (_l, route) => {
    const limit = route.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    const overhead = Buffer.byteLength(JSON.stringify({ name: '' }));
    const body = JSON.stringify({ name: 'é'.repeat(Math.floor((limit - overhead) / 2)) });
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(limit);
    const res = await rawCall(stack.url, route.method, pathOf(route), { key: allowedKey(route), body });
    // The name is too long for the schema: a 4xx about the field, not about the size.
    expect(res.status).not.toBe(413);
    expect([400, 422]).toContain(res.status);
  });
});

describe('requests no route matches', () => {
  it('answers an unknown path with 404 not_found in the envelope', async () => {
    for (const path of ['/v1/nope', '/', '/v1/teams/x/y', '/v1/api-keys/']) {
      expectError(await rawCall(stack.url, 'GET', path, { key: keys.admin }), 404, 'not_found', path);
    }
  });

  it('answers 404, not a body error, whatever body an unknown route gets', async () => {
    const bodies = ['{}', '{"broken', JSON.stringify({ big: 'é'.repeat(DEFAULT_MAX_BODY_BYTES) })];
    for (const body of bodies) {
      expectError(await rawCall(stack.url, 'POST', '/v2/teams', { key: keys.admin, body }), 404, 'not_found', body.slice(0, 10));
      const wrongMethod = await rawCall(stack.url, 'PUT', '/v1/teams', { key: keys.root, body });
      expectError(wrongMethod, 405, 'method_not_allowed', body.slice(0, 10));
    }
  });

  it.each([
    ['PUT', '/v1/teams', ['GET', 'POST']],
    ['DELETE', '/v1/teams', ['GET', 'POST']],
    ['POST', '/v1/teams/team_x', ['GET', 'PATCH', 'DELETE']],
    ['PUT', '/v1/api-keys/key_x', ['GET', 'PATCH', 'DELETE']],
    ['POST', '/health', ['GET']],
    ['DELETE', '/v1/me', ['GET']],
  ])('answers %s %s with 405 and an Allow header', async (method, path, allowed) => {
    const res = await rawCall(stack.url, method, path, { key: keys.admin });
    expectError(res, 405, 'method_not_allowed');
    expect(res.headers.get('allow')!.split(/,\s*/).sort()).toEqual([...allowed].sort());
  });
});
