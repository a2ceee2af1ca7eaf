/**
 * The MCP tools against a recording fetch: what each key lists, the hints, and that every argument a tool
 * declares reaches the HTTP request the SDK sends (none silently dropped, as a `cc` was in other products).
 */
import { describe, expect, it } from 'vitest';
import { Mailroom } from '@mailroom/sdk';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import { callTool, RootKeyError, secretNotice, toolsFor, TOOLS, UNTRUSTED_CONTENT_WARNING, type KeyInfo, type ScopedTool } from '@mailroom/mcp';

interface SentRequest {
  method: string;
  url: URL;
  headers: Headers;
  body: Record<string, unknown> | undefined;
}

function recordingClient(answer: { status: number; body: unknown } = { status: 200, body: {} }) {
  const sent: SentRequest[] = [];
  const mailroom = new Mailroom({
    apiKey: 'mr_test',
    baseUrl: 'http://api.test',
    maxRetries: 0,
    fetch: async (input, init) => {
      sent.push({ method: init!.method!, url: new URL(String(input)), headers: new Headers(init!.headers), body: init!.body ? JSON.parse(String(init!.body)) : undefined });
      return Response.json(answer.body, { status: answer.status });
    },
  });
  return { mailroom, sent };
}

const ADMIN: KeyInfo = { kind: 'team', key_id: 'key_admin', scopes: ['admin'], inbox_id: null };
const INBOX: KeyInfo = { kind: 'inbox', key_id: 'key_inbox', scopes: ['read', 'send'], inbox_id: 'ib_01jzzzzzzzzzzzzzzzzzzzzzzz' };

const toolNamed = (tools: ScopedTool[], name: string) => tools.find((t) => t.definition.name === name)!;
const inputNames = (tool: ScopedTool) => Object.keys(tool.listing.inputSchema.properties ?? {});

/** A distinct value per argument, of the argument's kind, so each one can be found in the request. */
function sentinel(name: string, schema: Record<string, unknown>): unknown {
  if (schema.type === 'integer' || schema.type === 'number') return 7;
  if (schema.type === 'boolean') return true;
  if (schema.type === 'array') return [`${name}-item`];
  return `${name}-value`;
}

describe('tools for a team admin key', () => {
  const tools = toolsFor(ADMIN);

  it('are every tool of the table, each with object input and output schemas the MCP client compiles', () => {
    expect(tools.map((t) => t.definition.name)).toEqual(TOOLS.map((t) => t.name));
    expect(new Set(TOOLS.map((t) => t.name)).size).toBe(TOOLS.length);
    const validator = new AjvJsonSchemaValidator();
    for (const { listing } of tools) {
      expect(listing.inputSchema.type, listing.name).toBe('object');
      expect(listing.outputSchema?.type, listing.name).toBe('object');
      expect(() => validator.getValidator(listing.inputSchema), listing.name).not.toThrow();
      expect(() => validator.getValidator(listing.outputSchema!), listing.name).not.toThrow();
      expect(listing.description!.length, listing.name).toBeGreaterThan(20);
      for (const hint of ['readOnlyHint', 'destructiveHint', 'idempotentHint', 'openWorldHint'] as const) {
        expect(typeof listing.annotations?.[hint], `${listing.name} ${hint}`).toBe('boolean');
      }
    }
  });

  it.each(tools.map((t) => [t.definition.name, t] as const))('%s: every declared argument reaches the request', async (_name, tool) => {
    const properties = tool.listing.inputSchema.properties as Record<string, Record<string, unknown>>;
    const args = Object.fromEntries(inputNames(tool).map((name) => [name, name === 'confirm' ? true : sentinel(name, properties[name]!)]));
    const { mailroom, sent } = recordingClient();
    const result = await callTool(mailroom, tool, args);
    expect(result.isError, JSON.stringify(result.content)).toBeUndefined();
    expect(sent).toHaveLength(1);
    const [request] = sent;
    expect(request!.method).toBe(tool.operation.method);
    let path = tool.operation.path;
    const body: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(args)) {
      if (name === 'confirm') continue;
      const location = tool.operation.inputs[name];
      if (location === 'path') path = path.replace(`{${name}}`, encodeURIComponent(String(value)));
      else if (location === 'query') expect(request!.url.searchParams.getAll(name), name).toEqual([value].flat().map(String));
      else body[name] = value;
      expect(location, name).toBeDefined();
    }
    expect(request!.url.pathname).toBe(path);
    expect(request!.body).toEqual(Object.values(tool.operation.inputs).includes('body') ? body : undefined);
  });

  it('sends cc, bcc and reply_to with an email', async () => {
    const { mailroom, sent } = recordingClient();
    const args = { from: 'a@mailroom.test', to: 'b@example.com', cc: ['c@example.com'], bcc: 'd@example.com', reply_to: 'e@example.com', subject: 'Hi', text: 'Hello' };
    await callTool(mailroom, toolNamed(tools, 'emails_send'), args);
    expect(sent[0]!.body).toEqual(args);
  });

  it('hints follow the operation: reads, destructive changes, idempotent sends, mail leaving', () => {
    const hints = (name: string) => toolNamed(tools, name).listing.annotations;
    expect(hints('emails_list')).toMatchObject({ readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false });
    expect(hints('templates_render')).toMatchObject({ readOnlyHint: true, destructiveHint: false });
    expect(hints('emails_send')).toMatchObject({ readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true });
    expect(hints('messages_reply')).toMatchObject({ readOnlyHint: false, idempotentHint: true, openWorldHint: true });
    expect(hints('webhooks_test')).toMatchObject({ readOnlyHint: false, openWorldHint: true });
    expect(hints('contacts_delete')).toMatchObject({ readOnlyHint: false, destructiveHint: true, idempotentHint: true });
    expect(hints('emails_cancel')).toMatchObject({ destructiveHint: true });
    expect(hints('campaigns_pause')).toMatchObject({ destructiveHint: false, idempotentHint: false });
  });

  it('destructive tools and campaigns_launch require confirm: true and call nothing without it', async () => {
    const confirming = tools.filter((t) => t.confirmation);
    expect(confirming.map((t) => t.definition.name).sort()).toEqual(['campaigns_launch', 'contacts_delete', 'emails_cancel', 'webhooks_delete']);
    for (const tool of tools) {
      const destructive = tool.listing.annotations!.destructiveHint!;
      if (destructive) expect(tool.confirmation, tool.definition.name).toBe('It cannot be undone.');
      for (const place of [Object.keys(tool.listing.inputSchema.properties!), tool.listing.inputSchema.required ?? []]) {
        expect(place.includes('confirm'), tool.definition.name).toBe(tool.confirmation !== null);
      }
    }
    for (const tool of confirming) {
      expect(tool.listing.inputSchema.properties!.confirm).toMatchObject({ type: 'boolean', const: true });
      expect(tool.listing.description).toContain('Ask the user first, then pass confirm: true.');
    }
    const { mailroom, sent } = recordingClient();
    for (const [name, args] of [['contacts_delete', { id: 'ct_1' }], ['campaigns_launch', { id: 'cmp_1' }]] as const) {
      for (const confirm of [undefined, false, 'yes']) {
        const result = await callTool(mailroom, toolNamed(tools, name), { ...args, ...(confirm !== undefined && { confirm }) });
        expect(result.isError).toBe(true);
        expect(JSON.stringify(result.content)).toMatch(/confirm: true/);
      }
    }
    expect(sent).toHaveLength(0);
    await callTool(mailroom, toolNamed(tools, 'campaigns_launch'), { id: 'cmp_1', confirm: true });
    expect(sent.map((r) => `${r.method} ${r.url.pathname}`)).toEqual(['POST /v1/campaigns/cmp_1/launch']);
  });

  it('campaigns_launch asks for confirmation without claiming to be destructive', () => {
    const launch = toolNamed(tools, 'campaigns_launch');
    expect(launch.listing.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: false, openWorldHint: true });
    expect(launch.listing.description).toContain('every contact of its segment');
    expect(launch.listing.description).not.toContain('cannot be undone');
  });

  it('refuses confirm on a tool that does not take it, instead of dropping it', async () => {
    const { mailroom, sent } = recordingClient();
    for (const [name, args] of [['emails_send', { from: 'a@mailroom.test', to: 'b@example.com', subject: 'Hi', text: 'x' }], ['campaigns_pause', { id: 'cmp_1' }]] as const) {
      const result = await callTool(mailroom, toolNamed(tools, name), { ...args, confirm: true });
      expect(result.isError, name).toBe(true);
      expect(JSON.stringify(result.content)).toContain('Unknown argument \\"confirm\\"');
    }
    expect(sent).toHaveLength(0);
  });

  it('refuses an argument the tool does not declare instead of dropping it', async () => {
    const { mailroom, sent } = recordingClient();
    const result = await callTool(mailroom, toolNamed(tools, 'emails_send'), { from: 'a@mailroom.test', to: 'b@example.com', CC: 'c@example.com', subject: 'Hi', text: 'x' });
    expect(result.isError).toBe(true);
    expect(JSON.stringify(result.content)).toContain('Unknown argument \\"CC\\"');
    expect(sent).toHaveLength(0);
  });

  it('derives the Idempotency-Key of a send from the key and its arguments, so a repeated call is replayed', async () => {
    const { mailroom, sent } = recordingClient();
    const send = toolNamed(tools, 'emails_send');
    const args = { from: 'a@mailroom.test', to: 'b@example.com', subject: 'Hi', text: 'x' };
    await callTool(mailroom, send, args);
    await callTool(mailroom, send, { ...args });
    await callTool(mailroom, send, { ...args, text: 'y' });
    await callTool(mailroom, toolNamed(tools, 'emails_list'), {});
    await callTool(mailroom, toolNamed(toolsFor(ADMIN), 'emails_send'), { ...args });
    // Another key of the same team, with the same arguments, cannot land on this key's stored answer.
    await callTool(mailroom, toolNamed(toolsFor({ ...ADMIN, key_id: 'key_other' }), 'emails_send'), { ...args });
    const keys = sent.map((r) => r.headers.get('idempotency-key'));
    expect(keys[0]).toMatch(/^mcp-[A-Za-z0-9_-]{43}$/);
    expect(keys[1]).toBe(keys[0]);
    expect(keys[2]).not.toBe(keys[0]);
    expect(keys[3]).toBeNull();
    expect(keys[4]).toBe(keys[0]);
    expect(keys[5]).toMatch(/^mcp-[A-Za-z0-9_-]{43}$/);
    expect(keys[5]).not.toBe(keys[0]);
  });

  it('says a show-once secret is in the answer, and still returns it', async () => {
    const secrets = { inboxes_create: ['api_key.key', { id: 'ib_1', api_key: { id: 'key_1', key: 'mr_inbox_secret' } }], webhooks_create: ['secret', { id: 'wh_1', secret: 'whsec_abc' }] } as const;
    expect(Object.fromEntries(tools.filter((t) => t.definition.secret).map((t) => [t.definition.name, t.definition.secret]))).toEqual({ inboxes_create: 'api_key.key', webhooks_create: 'secret' });
    for (const [name, [field, body]] of Object.entries(secrets)) {
      const tool = toolNamed(tools, name);
      expect(tool.listing.description).toContain(`The answer holds a secret (${field}) shown only this once`);
      // The field is one the answer declares.
      let schema = tool.listing.outputSchema as Record<string, any>;
      for (const part of field.split('.')) {
        while (schema.$ref) schema = (tool.listing.outputSchema as Record<string, any>).$defs[schema.$ref.slice('#/$defs/'.length)];
        schema = schema.properties[part];
        expect(schema, `${name} ${part}`).toBeDefined();
      }
      const { mailroom } = recordingClient({ status: 201, body });
      const result = await callTool(mailroom, tool, {});
      const text = (result.content[0] as { text: string }).text;
      expect(text.startsWith(`${secretNotice(field)}\n\n`)).toBe(true);
      expect(text).toContain(JSON.stringify(body, null, 2));
      expect(result.structuredContent).toEqual(body);
    }
  });

  it('turns an API error into a tool error with its code, message and fields', async () => {
    const { mailroom } = recordingClient({
      status: 422,
      body: { error: { code: 'validation_error', message: '1 field is invalid', retryable: false, errors: [{ field: 'to', code: 'invalid_format', message: 'Not an address.' }] }, request_id: 'req_1' },
    });
    const result = await callTool(mailroom, toolNamed(tools, 'emails_send'), { from: 'a@mailroom.test', to: 'nope', subject: 'Hi', text: 'x' });
    expect(result.isError).toBe(true);
    const text = (result.content[0] as { text: string }).text;
    expect(text).toContain('validation_error (HTTP 422): 1 field is invalid');
    expect(text).toContain('- to: Not an address.');
  });

  it('marks received mail as untrusted and answers the API body as structured content', async () => {
    const page = { data: [], next_cursor: null };
    const { mailroom } = recordingClient({ status: 200, body: page });
    const messages = await callTool(mailroom, toolNamed(tools, 'messages_search'), { id: 'ib_1', from: 'ann@example.com' });
    expect((messages.content[0] as { text: string }).text.startsWith(UNTRUSTED_CONTENT_WARNING)).toBe(true);
    expect(messages.structuredContent).toEqual(page);
    const emails = await callTool(mailroom, toolNamed(tools, 'emails_list'), {});
    expect((emails.content[0] as { text: string }).text).toBe(JSON.stringify(page, null, 2));
  });
});

describe('tools for other keys', () => {
  it('a read-only key lists only read-only tools', () => {
    const tools = toolsFor({ kind: 'team', key_id: 'key_read', scopes: ['read'], inbox_id: null });
    expect(tools.length).toBeGreaterThan(10);
    for (const tool of tools) expect(tool.listing.annotations?.readOnlyHint, tool.definition.name).toBe(true);
    expect(tools.map((t) => t.definition.name)).toContain('messages_get');
  });

  it('a send key can send but not delete or create', () => {
    const names = toolsFor({ kind: 'team', key_id: 'key_send', scopes: ['send'], inbox_id: null }).map((t) => t.definition.name);
    expect(names).toEqual(expect.arrayContaining(['emails_send', 'messages_reply', 'emails_cancel']));
    expect(names).not.toContain('contacts_delete');
    expect(names).not.toContain('emails_list');
  });

  it("an inbox key lists only its inbox's tools, with the inbox filled in", async () => {
    const tools = toolsFor(INBOX);
    const names = tools.map((t) => t.definition.name);
    expect(names).toEqual(expect.arrayContaining(['inboxes_get', 'messages_list', 'messages_get', 'messages_send', 'messages_reply', 'messages_forward', 'threads_list', 'threads_get']));
    for (const name of names) expect(name, name).toMatch(/^(inboxes_get|messages_|threads_)/);
    for (const tool of tools) {
      expect(inputNames(tool), tool.definition.name).not.toContain('id');
      expect(tool.listing.inputSchema.required ?? [], tool.definition.name).not.toContain('id');
    }
    const { mailroom, sent } = recordingClient({ status: 200, body: { data: [], next_cursor: null } });
    await callTool(mailroom, toolNamed(tools, 'messages_list'), { limit: 5 });
    expect(sent[0]!.url.pathname).toBe(`/v1/inboxes/${INBOX.inbox_id}/messages`);
    const other = await callTool(mailroom, toolNamed(tools, 'messages_list'), { id: 'ib_other' });
    expect(other.isError).toBe(true);
    expect(sent).toHaveLength(1);
  });

  it('refuses the root key', () => {
    expect(() => toolsFor({ kind: 'root', key_id: 'root', scopes: ['admin'], inbox_id: null })).toThrow(RootKeyError);
  });
});
