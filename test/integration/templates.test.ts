/**
 * Templates through the local HTTP API: lifecycle, versions and If-Match, Liquid checked at save, size caps,
 * previews (defaults, escaping, generated text, limits), tenancy and scopes, and the send path's lookup.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../functions/shared/ids.js';
import { ApiError } from '../../functions/shared/errors.js';
import { renderTemplate } from '../../functions/domain/templates.js';
import { TEMPLATE_VERSIONS_KEPT } from '../../functions/schemas/templates.js';
import { call, createTeam, startLocalStack, type LocalStack } from '../support/local-stack.js';
import { expectError } from '../support/http.js';

let stack: LocalStack;

beforeAll(async () => {
  stack = await startLocalStack({ withWorkers: false });
});
afterAll(async () => {
  await stack.stop();
});

const welcome = {
  name: 'Welcome',
  description: 'First mail after sign-up',
  subject: 'Welcome, {{ first_name }}!',
  html: '<h1>Hello {{ first_name }}</h1>\n<p>Your plan: {{ plan }}</p>',
  variables: [
    { name: 'first_name', default: 'there', description: 'Given name' },
    { name: 'plan', description: 'Plan name' },
  ],
};

async function newTemplate(key: string, body: object = welcome) {
  const res = await call(stack.url, 'POST', '/v1/templates', { key, body });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res;
}

const patch = (key: string, id: string, body: object, ifMatch?: string) =>
  call(stack.url, 'PATCH', `/v1/templates/${id}`, { key, body, headers: ifMatch ? { 'if-match': ifMatch } : {} });

async function renderError(promise: Promise<unknown>): Promise<ApiError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApiError);
  return error as ApiError;
}

describe('lifecycle', () => {
  it('creates, reads, lists newest first with a cursor, and deletes', async () => {
    const { adminKey } = await createTeam(stack, 'tpl-life');
    const created = await newTemplate(adminKey);
    expect(created.headers.get('etag')).toBe('"1"');
    expect(created.body).toEqual({
      id: expect.stringMatching(/^tpl_[0-9a-z]{26}$/),
      ...welcome,
      text: null,
      version: 1,
      created_at: expect.any(String),
      updated_at: created.body.created_at,
    });
    const id: string = created.body.id;

    const get = await call(stack.url, 'GET', `/v1/templates/${id}`, { key: adminKey });
    expect(get.status).toBe(200);
    expect(get.headers.get('etag')).toBe('"1"');
    expect(get.body).toEqual(created.body);

    const second = await newTemplate(adminKey, { name: 'Receipt', subject: 'Receipt', html: '<p>Thanks</p>', text: 'Thanks' });
    const third = await newTemplate(adminKey, { name: 'Reset', subject: 'Reset', html: '<p>Reset</p>' });
    const page1 = await call(stack.url, 'GET', '/v1/templates?limit=2', { key: adminKey });
    expect(page1.status).toBe(200);
    expect(page1.body.data.map((t: { id: string }) => t.id)).toEqual([third.body.id, second.body.id]);
    // Lists carry no sources.
    expect(page1.body.data[0]).toEqual({ id: third.body.id, name: 'Reset', description: null, version: 1, created_at: expect.any(String), updated_at: expect.any(String) });
    const page2 = await call(stack.url, 'GET', `/v1/templates?limit=2&cursor=${page1.body.next_cursor}`, { key: adminKey });
    expect(page2.body.data.map((t: { id: string }) => t.id)).toEqual([id]);

    const del = await call(stack.url, 'DELETE', `/v1/templates/${id}`, { key: adminKey });
    expect(del.status).toBe(200);
    expect(del.body).toEqual({ id, deleted: true });
    expectError(await call(stack.url, 'GET', `/v1/templates/${id}`, { key: adminKey }), 404, 'not_found');
    expectError(await call(stack.url, 'GET', `/v1/templates/${id}?version=1`, { key: adminKey }), 404, 'not_found');
    expectError(await call(stack.url, 'POST', `/v1/templates/${id}/render`, { key: adminKey, body: {} }), 404, 'not_found');
    expectError(await patch(adminKey, id, { name: 'Back' }), 404, 'not_found');
    expectError(await call(stack.url, 'DELETE', `/v1/templates/${id}`, { key: adminKey }), 404, 'not_found');
    const list = await call(stack.url, 'GET', '/v1/templates', { key: adminKey });
    expect(list.body.data.map((t: { id: string }) => t.id)).toEqual([third.body.id, second.body.id]);
  });

  it('replays a create with the same Idempotency-Key instead of creating twice', async () => {
    const { adminKey } = await createTeam(stack, 'tpl-idem');
    const headers = { 'idempotency-key': `tpl-${Date.now()}` };
    const first = await call(stack.url, 'POST', '/v1/templates', { key: adminKey, body: welcome, headers });
    const again = await call(stack.url, 'POST', '/v1/templates', { key: adminKey, body: welcome, headers });
    expect(first.status).toBe(201);
    expect(again.body.id).toBe(first.body.id);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect((await call(stack.url, 'GET', '/v1/templates', { key: adminKey })).body.data).toHaveLength(1);
  });
});

describe('versions', () => {
  it('bumps the version on every change and keeps earlier versions readable', async () => {
    const { adminKey } = await createTeam(stack, 'tpl-ver');
    const { body: v1 } = await newTemplate(adminKey);
    const updated = await patch(adminKey, v1.id, { html: '<p>New body for {{ first_name }}</p>', text: 'New body' });
    expect(updated.status).toBe(200);
    expect(updated.headers.get('etag')).toBe('"2"');
    expect(updated.body).toMatchObject({ version: 2, html: '<p>New body for {{ first_name }}</p>', text: 'New body', subject: welcome.subject, name: 'Welcome' });
    expect(updated.body.created_at).toBe(v1.created_at);

    const latest = await call(stack.url, 'GET', `/v1/templates/${v1.id}`, { key: adminKey });
    expect(latest.body).toEqual(updated.body);
    const old = await call(stack.url, 'GET', `/v1/templates/${v1.id}?version=1`, { key: adminKey });
    expect(old.status).toBe(200);
    expect(old.body).toEqual(v1);
    // An earlier version is not something If-Match can compare with.
    expect(old.headers.get('etag')).toBeNull();
    const future = await call(stack.url, 'GET', `/v1/templates/${v1.id}?version=3`, { key: adminKey });
    expectError(future, 404, 'not_found');
    expect(future.body.error.param).toBe('version');
    expectError(await call(stack.url, 'GET', `/v1/templates/${v1.id}?version=zero`, { key: adminKey }), 400, 'invalid_parameter');

    // null clears the optional parts; a rename is a change too.
    const cleared = await patch(adminKey, v1.id, { text: null, description: null, name: 'Welcome v3' });
    expect(cleared.body).toMatchObject({ version: 3, text: null, description: null, name: 'Welcome v3' });
    const list = await call(stack.url, 'GET', '/v1/templates', { key: adminKey });
    expect(list.body.data[0]).toMatchObject({ id: v1.id, version: 3, name: 'Welcome v3', description: null });
  });

  it('writes no new version for a PATCH that changes nothing', async () => {
    const { adminKey } = await createTeam(stack, 'tpl-noop');
    const { body: v1 } = await newTemplate(adminKey);
    const same = await patch(adminKey, v1.id, { name: welcome.name, html: welcome.html, variables: welcome.variables }, '"1"');
    expect(same.status).toBe(200);
    expect(same.headers.get('etag')).toBe('"1"');
    expect(same.body).toEqual(v1);
    const empty = await patch(adminKey, v1.id, {});
    expect(empty.body.version).toBe(1);
  });

  it('rejects a stale If-Match with 409 and accepts the current one', async () => {
    const { adminKey } = await createTeam(stack, 'tpl-etag');
    const { body: v1 } = await newTemplate(adminKey);
    expect((await patch(adminKey, v1.id, { subject: 'Second' }, '"1"')).status).toBe(200);
    const stale = await patch(adminKey, v1.id, { subject: 'Lost update' }, '"1"');
    expectError(stale, 409, 'conflict');
    expect(stale.body.error.param).toBe('If-Match');
    expectError(await patch(adminKey, v1.id, { subject: 'x' }, 'not-an-etag'), 400, 'invalid_parameter');
    const current = await patch(adminKey, v1.id, { subject: 'Third' }, 'W/"2"');
    expect(current.status).toBe(200);
    expect(current.body).toMatchObject({ version: 3, subject: 'Third' });
  });

  it('lets exactly one of several PATCHes with the same If-Match win, and applies concurrent PATCHes without it one after another', async () => {
    const { adminKey } = await createTeam(stack, 'tpl-race');
    const { body: v1 } = await newTemplate(adminKey);
    const guarded = await Promise.all([1, 2, 3].map((n) => patch(adminKey, v1.id, { subject: `Guarded ${n}` }, '"1"')));
    expect(guarded.map((r) => r.status).sort()).toEqual([200, 409, 409]);

    const unguarded = await Promise.all([1, 2].map((n) => patch(adminKey, v1.id, { subject: `Free ${n}` })));
    expect(unguarded.map((r) => r.status)).toEqual([200, 200]);
    expect(unguarded.map((r) => r.body.version).sort()).toEqual([3, 4]);
  });

  it(`keeps the latest ${TEMPLATE_VERSIONS_KEPT} versions`, async () => {
    const { adminKey } = await createTeam(stack, 'tpl-prune');
    const { body: v1 } = await newTemplate(adminKey);
    const last = TEMPLATE_VERSIONS_KEPT + 2;
    for (let version = 2; version <= last; version++) {
      expect((await patch(adminKey, v1.id, { subject: `Subject ${version}` })).body.version).toBe(version);
    }
    const oldestKept = last - TEMPLATE_VERSIONS_KEPT + 1;
    for (const version of [1, oldestKept - 1]) {
      expectError(await call(stack.url, 'GET', `/v1/templates/${v1.id}?version=${version}`, { key: adminKey }), 404, 'not_found', `v${version}`);
    }
    const kept = await call(stack.url, 'GET', `/v1/templates/${v1.id}?version=${oldestKept}`, { key: adminKey });
    expect(kept.body).toMatchObject({ version: oldestKept, subject: `Subject ${oldestKept}` });
  });
});

describe('validation', () => {
  it('rejects Liquid syntax errors with 422, the field and liquidjs line and column', async () => {
    const { adminKey } = await createTeam(stack, 'tpl-syntax');
    const res = await call(stack.url, 'POST', '/v1/templates', {
      key: adminKey,
      body: { name: 'Broken', subject: 'Hi {{ name', html: '<p>\n  Hello\n  {% if vip %}VIP\n</p>', text: 'ok {{ x | nosuchfilter }}' },
    });
    expectError(res, 422, 'validation_error');
    expect(res.body.error.param).toBe('subject');
    expect(res.body.error.errors).toEqual([
      { field: 'subject', code: 'custom', message: expect.stringMatching(/line 1, col 4: output "{{ name" not closed/) },
      { field: 'html', code: 'custom', message: 'Invalid Liquid: line 3, col 3: tag {% if vip %} not closed' },
      { field: 'text', code: 'custom', message: 'Invalid Liquid: line 1, col 4: undefined filter: nosuchfilter' },
    ]);
    expect((await call(stack.url, 'GET', '/v1/templates', { key: adminKey })).body.data).toEqual([]);

    const { body: ok } = await newTemplate(adminKey);
    const badPatch = await patch(adminKey, ok.id, { html: 'fine\n\n{% endif %}' });
    expectError(badPatch, 422, 'validation_error');
    expect(badPatch.body.error.errors).toEqual([{ field: 'html', code: 'custom', message: 'Invalid Liquid: line 3, col 1: tag "endif" not found' }]);
    expect((await call(stack.url, 'GET', `/v1/templates/${ok.id}`, { key: adminKey })).body.version).toBe(1);
  });

  it('refuses partials: there is no file system to include from', async () => {
    const { adminKey } = await createTeam(stack, 'tpl-partials');
    const res = await call(stack.url, 'POST', '/v1/templates', { key: adminKey, body: { ...welcome, html: "{% include '../../package.json' %}" } });
    expectError(res, 422, 'validation_error');
    expect(res.body.error.errors[0]).toMatchObject({ field: 'html', message: expect.stringContaining('tag "include" not found') });
  });

  it('caps sources in UTF-8 bytes, not characters', async () => {
    const { adminKey } = await createTeam(stack, 'tpl-size');
    // 150,000 "é" are 150,000 characters but 300,000 bytes: over the 256 KiB html cap.
    const res = await call(stack.url, 'POST', '/v1/templates', { key: adminKey, body: { ...welcome, html: 'é'.repeat(150_000) } });
    expectError(res, 422, 'validation_error');
    expect(res.body.error.errors).toEqual([{ field: 'html', code: 'too_big', message: expect.stringContaining('262144 bytes') }]);
    const fits = await call(stack.url, 'POST', '/v1/templates', { key: adminKey, body: { ...welcome, html: 'é'.repeat(131_000), text: 't'.repeat(65_536) } });
    expect(fits.status).toBe(201);
  });

  it('stores a template at every cap at once, and a new version of it, within DynamoDB’s item limit', async () => {
    const { adminKey } = await createTeam(stack, 'tpl-max');
    const largest = {
      name: '€'.repeat(100),
      description: '€'.repeat(333),
      subject: 's'.repeat(2_048),
      html: 'h'.repeat(256 * 1024),
      text: 't'.repeat(64 * 1024),
      variables: Array.from({ length: 50 }, (_, i) => ({ name: `v${i}_${'x'.repeat(60)}`, default: 'd'.repeat(256), description: 'e'.repeat(256) })),
    };
    const { body: t } = await newTemplate(adminKey, largest);
    const next = await patch(adminKey, t.id, { html: 'H'.repeat(256 * 1024) });
    expect(next.status, JSON.stringify(next.body).slice(0, 300)).toBe(200);
    expect((await call(stack.url, 'GET', `/v1/templates/${t.id}?version=1`, { key: adminKey })).body).toEqual(t);
  });
});

describe('render', () => {
  it('renders defaults, missing variables as empty, and escapes html only', async () => {
    const { adminKey } = await createTeam(stack, 'tpl-render');
    const { body: t } = await newTemplate(adminKey);
    const res = await call(stack.url, 'POST', `/v1/templates/${t.id}/render`, { key: adminKey, body: {} });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      subject: 'Welcome, there!',
      html: '<h1>Hello there</h1>\n<p>Your plan: </p>',
      text: expect.stringContaining('Your plan:'),
      template_version: 1,
    });
    expect(res.body.text).toMatch(/^HELLO THERE\n\nYour plan:/);

    const name = '<script>alert("x")</script>';
    const plan = '<b>Pro</b> & co';
    const escaped = await call(stack.url, 'POST', `/v1/templates/${t.id}/render`, { key: adminKey, body: { variables: { first_name: name, plan } } });
    expect(escaped.body.subject).toBe(`Welcome, ${name}!`);
    expect(escaped.body.html).toBe('<h1>Hello &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;</h1>\n<p>Your plan: &lt;b&gt;Pro&lt;/b&gt; &amp; co</p>');
    // The generated text shows what the reader saw: the variable's own characters.
    expect(escaped.body.text).toContain(`Your plan: ${plan}`);
    const nullIsMissing = await call(stack.url, 'POST', `/v1/templates/${t.id}/render`, { key: adminKey, body: { variables: { first_name: null } } });
    expect(nullIsMissing.body.subject).toBe('Welcome, there!');
  });

  it('renders an earlier version when asked, and 404s for one that does not exist', async () => {
    const { adminKey } = await createTeam(stack, 'tpl-render-ver');
    const { body: t } = await newTemplate(adminKey);
    await patch(adminKey, t.id, { subject: 'Version two for {{ first_name }}', text: 'Plain {{ first_name }}' });
    const latest = await call(stack.url, 'POST', `/v1/templates/${t.id}/render`, { key: adminKey, body: { variables: { first_name: 'Ann' } } });
    expect(latest.body).toMatchObject({ subject: 'Version two for Ann', text: 'Plain Ann', template_version: 2 });
    const first = await call(stack.url, 'POST', `/v1/templates/${t.id}/render`, { key: adminKey, body: { variables: { first_name: 'Ann' }, version: 1 } });
    expect(first.body).toMatchObject({ subject: 'Welcome, Ann!', template_version: 1 });
    expectError(await call(stack.url, 'POST', `/v1/templates/${t.id}/render`, { key: adminKey, body: { version: 9 } }), 404, 'not_found');
  });

  it('turns a render that exceeds its limits into a 422, not a crash', async () => {
    const { adminKey } = await createTeam(stack, 'tpl-render-limit');
    const { body: t } = await newTemplate(adminKey, { ...welcome, html: '{% for item in items %}{% for i in (1..100000) %}{{ item }}{% endfor %}{% endfor %}' });
    const res = await call(stack.url, 'POST', `/v1/templates/${t.id}/render`, { key: adminKey, body: { variables: { items: Array.from({ length: 200 }, (_, i) => `item ${i}`) } } });
    expectError(res, 422, 'validation_error');
    expect(res.body.error.param).toBe('variables');
    expect(res.body.error.errors).toEqual([{ field: 'html', code: 'render_failed', message: expect.stringMatching(/^line 1, col \d+: (memory alloc|template render) limit exceeded$/) }]);
  });
});

describe('tenancy and scopes', () => {
  it("answers 404 for another team's template on every route, and lists only the team's own", async () => {
    const [a, b] = await Promise.all([createTeam(stack, 'tpl-a'), createTeam(stack, 'tpl-b')]);
    const { body: t } = await newTemplate(a.adminKey);
    const missing = newId('template');
    for (const id of [t.id, missing]) {
      expectError(await call(stack.url, 'GET', `/v1/templates/${id}`, { key: b.adminKey }), 404, 'not_found', id);
      expectError(await call(stack.url, 'GET', `/v1/templates/${id}?version=1`, { key: b.adminKey }), 404, 'not_found', id);
      expectError(await patch(b.adminKey, id, { name: 'Mine now' }), 404, 'not_found', id);
      expectError(await call(stack.url, 'POST', `/v1/templates/${id}/render`, { key: b.adminKey, body: {} }), 404, 'not_found', id);
      expectError(await call(stack.url, 'DELETE', `/v1/templates/${id}`, { key: b.adminKey }), 404, 'not_found', id);
    }
    expect((await call(stack.url, 'GET', '/v1/templates', { key: b.adminKey })).body.data).toEqual([]);
    const untouched = await call(stack.url, 'GET', `/v1/templates/${t.id}`, { key: a.adminKey });
    expect(untouched.body).toEqual(t);
  });

  it('lets a read-only key read and preview but not create, change or delete', async () => {
    const { adminKey } = await createTeam(stack, 'tpl-read');
    const readKey = (await call(stack.url, 'POST', '/v1/api-keys', { key: adminKey, body: { name: 'reader', scopes: ['read'] } })).body.key;
    const { body: t } = await newTemplate(adminKey);
    const create = await call(stack.url, 'POST', '/v1/templates', { key: readKey, body: welcome });
    expectError(create, 403, 'insufficient_permissions');
    expectError(await patch(readKey, t.id, { name: 'x' }), 403, 'insufficient_permissions');
    expectError(await call(stack.url, 'DELETE', `/v1/templates/${t.id}`, { key: readKey }), 403, 'insufficient_permissions');
    expect((await call(stack.url, 'GET', `/v1/templates/${t.id}`, { key: readKey })).status).toBe(200);
    expect((await call(stack.url, 'GET', '/v1/templates', { key: readKey })).body.data).toHaveLength(1);
    expect((await call(stack.url, 'POST', `/v1/templates/${t.id}/render`, { key: readKey, body: {} })).status).toBe(200);
  });
});

describe('renderTemplate (the send path)', () => {
  it('renders the latest or a pinned version of the team’s template', async () => {
    const { adminKey, team } = await createTeam(stack, 'tpl-send');
    const { body: t } = await newTemplate(adminKey);
    await patch(adminKey, t.id, { subject: 'v2 {{ first_name }}' });
    expect(await renderTemplate(team.id, t.id, { first_name: 'Ann', plan: 'Pro' })).toEqual({
      subject: 'v2 Ann',
      html: '<h1>Hello Ann</h1>\n<p>Your plan: Pro</p>',
      text: expect.stringContaining('Your plan: Pro'),
      template_version: 2,
    });
    expect(await renderTemplate(team.id, t.id, {}, 1)).toMatchObject({ subject: 'Welcome, there!', template_version: 1 });
  });

  it('fails with a 422 naming template_id for a deleted or foreign template, and template_version for a missing version', async () => {
    const [a, b] = await Promise.all([createTeam(stack, 'tpl-send-a'), createTeam(stack, 'tpl-send-b')]);
    const { body: t } = await newTemplate(a.adminKey);
    const foreign = await renderError(renderTemplate(b.team.id, t.id, {}));
    expect(foreign).toMatchObject({ code: 'validation_error', status: 422, options: { param: 'template_id' } });
    const noVersion = await renderError(renderTemplate(a.team.id, t.id, {}, 2));
    expect(noVersion).toMatchObject({ code: 'validation_error', options: { param: 'template_version' } });
    await call(stack.url, 'DELETE', `/v1/templates/${t.id}`, { key: a.adminKey });
    const deleted = await renderError(renderTemplate(a.team.id, t.id, {}));
    expect(deleted).toMatchObject({ code: 'validation_error', options: { param: 'template_id' } });
    expect(deleted.message).toBe(`Template ${t.id} does not exist.`);
  });
});
