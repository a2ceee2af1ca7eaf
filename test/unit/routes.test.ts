import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bySpecificity, compilePath, FALLBACK_HANDLER, handlerFile, isMutating, matchRoute, ROUTES, routeById, type RouteDefinition } from '../../lib/routes.js';

const ROOT = resolve(import.meta.dirname, '..', '..');

describe('compilePath', () => {
  const match = compilePath('/v1/teams/{id}');

  it('extracts named path parameters', () => {
    expect(match('/v1/teams/team_123')).toEqual({ id: 'team_123' });
    expect(compilePath('/v1/a/{first}/b/{second_2}')('/v1/a/x/b/y')).toEqual({ first: 'x', second_2: 'y' });
  });

  it('returns an empty object for a static path and undefined for anything else', () => {
    expect(compilePath('/v1/teams')('/v1/teams')).toEqual({});
    expect(compilePath('/v1/teams')('/v1/teams/')).toBeUndefined();
    expect(compilePath('/v1/teams')('/v1/teamsX')).toBeUndefined();
    expect(compilePath('/v1/teams')('/prefix/v1/teams')).toBeUndefined();
  });

  it('matches one segment per parameter, never an empty one or several', () => {
    expect(match('/v1/teams/')).toBeUndefined();
    expect(match('/v1/teams/a/b')).toBeUndefined();
    expect(match('/v1/teams')).toBeUndefined();
  });

  it('URL-decodes parameters and rejects malformed escapes instead of throwing', () => {
    expect(match('/v1/teams/a%20b')).toEqual({ id: 'a b' });
    expect(match('/v1/teams/%E0%A4%A')).toBeUndefined();
  });

  it('treats regex metacharacters in the template literally', () => {
    const dotted = compilePath('/v1/files/{name}.json');
    // "{name}.json" is not a whole-segment parameter, so the segment is literal text.
    expect(dotted('/v1/files/{name}.json')).toEqual({});
    expect(dotted('/v1/files/aXjson')).toBeUndefined();
    expect(compilePath('/v1/a.b')('/v1/aXb')).toBeUndefined();
    expect(compilePath('/v1/a+b')('/v1/a+b')).toEqual({});
  });
});

describe('matchRoute (the local server picks routes as API Gateway does)', () => {
  it('prefers a literal segment over a path parameter, whatever the order of the route table', () => {
    expect(matchRoute('GET', '/v1/contacts/imports')?.route.id).toBe('contact-imports.list');
    expect(matchRoute('POST', '/v1/contacts/import')?.route.id).toBe('contact-imports.create');
    expect(matchRoute('GET', '/v1/contacts/imports/imp_1')).toMatchObject({ route: { id: 'contact-imports.get' }, params: { id: 'imp_1' } });
    expect(matchRoute('GET', '/v1/contacts/ct_1')).toMatchObject({ route: { id: 'contacts.get' }, params: { id: 'ct_1' } });
    expect(matchRoute('GET', '/v1/contacts/import')?.route.id).toBe('contacts.get');
    expect(matchRoute('PUT', '/v1/contacts/import')).toBeUndefined();
  });

  it('orders literal before parameter before greedy parameter, as a total order', () => {
    const paths = ['/a/{key+}', '/b', '/a/{id}', '/a/{id}/c', '/a/x', '/a/{id}/{sub}', '/a/x/c'];
    const sorted = paths.map((path) => ({ path })).sort(bySpecificity).map((r) => r.path);
    expect(sorted).toEqual(['/b', '/a/x', '/a/x/c', '/a/{id}', '/a/{id}/c', '/a/{id}/{sub}', '/a/{key+}']);
    // Antisymmetric and transitive: with an inconsistent comparator a sort could leave /v1/contacts/{id} before /v1/contacts/imports.
    const cmp = (a: string, b: string) => Math.sign(bySpecificity({ path: a }, { path: b }));
    for (const a of paths) {
      for (const b of paths) {
        expect(cmp(a, b) + cmp(b, a)).toBe(0);
        for (const c of paths) if (cmp(a, b) <= 0 && cmp(b, c) <= 0) expect(cmp(a, c)).toBeLessThanOrEqual(0);
      }
    }
  });
});

describe('route table', () => {
  it('has unique ids and unique method + path pairs', () => {
    expect(new Set(ROUTES.map((r) => r.id)).size).toBe(ROUTES.length);
    expect(new Set(ROUTES.map((r) => `${r.method} ${r.path}`)).size).toBe(ROUTES.length);
  });

  it('maps ids to handler files by convention', () => {
    expect(handlerFile(routeById('teams.create'))).toBe('functions/http/teams/create.ts');
    expect(handlerFile(routeById('api-keys.get'))).toBe('functions/http/api-keys/get.ts');
  });

  it.each(ROUTES.map((r) => [r.id, r] as const))('%s has a handler file on disk that is built for this route', (id, route) => {
    const file = resolve(ROOT, handlerFile(route as RouteDefinition));
    expect(existsSync(file), file).toBe(true);
    // The handler must look up its own entry (a copy-pasted id would enforce another route's access rule), with
    // the builder its idempotency calls for.
    expect(readFileSync(file, 'utf8')).toContain(`${(route as RouteDefinition).idempotent ? 'idempotentHttpHandler' : 'httpHandler'}('${id}'`);
  });

  it('has a fallback handler on disk', () => {
    expect(existsSync(resolve(ROOT, FALLBACK_HANDLER))).toBe(true);
  });

  it('marks only POST routes as idempotent, and every POST that creates or sends as idempotent', () => {
    // POSTs that act on something that exists, or whose effect is idempotent by nature (adding an address
    // that is already suppressed changes nothing), need no Idempotency-Key.
    // A test event or a manual retry is an explicit "do it again": repeating it is what the caller asks for.
    const naturallyIdempotent = new Set([
      'domains.verify',
      'templates.render',
      'emails.cancel',
      'suppressions.create',
      'unsubscribe.confirm',
      'webhooks.test',
      'webhook-attempts.retry',
      // Presigning stores nothing: asking twice gives two links to the same upload.
      'bucket-uploads.create',
      // An upsert by email: repeating it merges the same values again.
      'identify.upsert',
      // A confirmation link clicked again finds the subscription already confirmed.
      'lists.confirm-one-click',
      // Lifecycle changes: repeating one finds the campaign already changed and answers 409, changing nothing.
      'campaigns.launch',
      'campaigns.pause',
      'campaigns.resume',
      'campaigns.archive',
      'campaigns.cancel',
      // A transport: each tool call it carries applies its own route's idempotency.
      'mcp.post',
    ]);
    for (const route of ROUTES as readonly RouteDefinition[]) {
      if (route.idempotent) expect(route.method, route.id).toBe('POST');
      if (route.method === 'POST' && !naturallyIdempotent.has(route.id)) expect(route.idempotent, route.id).toBe(true);
    }
  });

  it('treats every non-GET route as mutating', () => {
    expect(isMutating(routeById('teams.create'))).toBe(true);
    expect(isMutating(routeById('api-keys.delete'))).toBe(true);
    expect(isMutating(routeById('api-keys.update'))).toBe(true);
    expect(isMutating(routeById('teams.list'))).toBe(false);
  });

  it('throws for an unknown route id', () => {
    expect(() => routeById('nope.get' as never)).toThrow(/Unknown route/);
  });
});
