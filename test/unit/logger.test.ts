import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { REDACTED, redact } from '../../functions/shared/logger.js';
import type { RouteDefinition } from '../../lib/routes.js';
import type { HttpEvent, MailroomContext } from '../../functions/shared/http/types.js';

// Authentication without the table: every request is team_1's key_1 (the real access middleware sets the same state).
vi.mock('../../functions/shared/http/middleware/access.js', () => ({
  access: (route: RouteDefinition) => ({
    before: (request: { context: MailroomContext }) => {
      if (route.access === 'public') return;
      request.context.mailroom.principal = { kind: 'team', keyId: 'key_1', teamId: 'team_1', scopes: ['read'], rateLimit: null };
    },
  }),
}));

const API_KEY = `mr_01hzy3k8m2q4r6s8t0v2w4x6yz_${'A'.repeat(43)}`;
const ROOT_KEY = `mr_root_${'b'.repeat(43)}`;
const WEBHOOK_SECRET = `whsec_${'c2VjcmV0'.repeat(6)}=`;

let written: string[];

/** The logger as a deployed function has it: INFO (the tests silence it). */
async function load() {
  vi.resetModules();
  vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'INFO');
  return {
    ...(await import('../../functions/shared/logger.js')),
    ...(await import('../../functions/shared/http/handler.js')),
  };
}

function lines(): Record<string, unknown>[] {
  return written
    .join('')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

beforeEach(() => {
  written = [];
  // Powertools writes ERROR and WARN lines to stderr, the others to stdout.
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
  }
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe('log redaction', () => {
  it('replaces credentials and message content under their names, at any depth, in any spelling', () => {
    const attributes = {
      authorization: `Bearer ${API_KEY}`,
      headers: { Authorization: 'Bearer x', Cookie: 'session=1', 'X-Api-Key': 'k', 'content-type': 'text/html' },
      api_key: API_KEY,
      apiKey: API_KEY,
      key: 'inboxes/in_1/raw.eml',
      secret: 's',
      signing_secrets: ['a', 'b'],
      password: 'p',
      token: 't',
      access_token: 't',
      message: { html: '<p>Hi</p>', text: 'Hi', body: '{"to":"ann@example.com"}', content: 'base64', raw: 'MIME', reply_text: 'Thanks' },
      list: [{ html: '<b>x</b>', id: 'em_1' }],
      key_id: 'key_1',
      team_id: 'team_1',
      content_type: 'text/plain',
      status: 201,
    };
    const logged = JSON.parse(JSON.stringify(attributes, redact));
    expect(logged).toEqual({
      authorization: REDACTED,
      headers: { Authorization: REDACTED, Cookie: REDACTED, 'X-Api-Key': REDACTED, 'content-type': 'text/html' },
      api_key: REDACTED,
      apiKey: REDACTED,
      key: REDACTED,
      secret: REDACTED,
      signing_secrets: REDACTED,
      password: REDACTED,
      token: REDACTED,
      access_token: REDACTED,
      message: { html: REDACTED, text: REDACTED, body: REDACTED, content: REDACTED, raw: REDACTED, reply_text: REDACTED },
      list: [{ html: REDACTED, id: 'em_1' }],
      key_id: 'key_1',
      team_id: 'team_1',
      content_type: 'text/plain',
      status: 201,
    });
  });

  it('masks API keys, bearer credentials and webhook secrets inside any text', () => {
    const logged = JSON.stringify({ error: `key ${API_KEY} refused; root ${ROOT_KEY}; sent Bearer abc.def; secret ${WEBHOOK_SECRET} rotated` }, redact);
    expect(logged).not.toContain(API_KEY);
    expect(logged).not.toContain(ROOT_KEY);
    expect(logged).not.toContain('abc.def');
    expect(logged).not.toContain(WEBHOOK_SECRET);
    expect(JSON.parse(logged).error).toBe(`key ${REDACTED} refused; root ${REDACTED}; sent ${REDACTED}; secret ${REDACTED} rotated`);
  });

  it('applies to every line the logger writes, errors included', async () => {
    const { logger } = await load();
    logger.info('webhook created', { secret: WEBHOOK_SECRET, webhook: { id: 'wh_1', url: 'https://example.com/hooks' } });
    logger.error('send failed', { email: { id: 'em_1', html: '<p>private</p>' }, error: new Error(`SES refused the request signed with ${API_KEY}`) });
    const output = written.join('');
    for (const secret of [WEBHOOK_SECRET, API_KEY, '<p>private</p>']) expect(output).not.toContain(secret);
    const [created, failed] = lines();
    expect(created).toMatchObject({ level: 'INFO', message: 'webhook created', service: 'mailroom', secret: REDACTED, webhook: { id: 'wh_1', url: 'https://example.com/hooks' } });
    expect(failed).toMatchObject({ level: 'ERROR', email: { id: 'em_1', html: REDACTED }, error: { name: 'Error', message: `SES refused the request signed with ${REDACTED}` } });
  });
});

describe('API request log lines', () => {
  const route: RouteDefinition = { id: 'probe.get', method: 'GET', path: '/v1/probes/{token}', access: { scope: 'read' } };
  const token = 'signed.token-value';
  const event = {
    version: '2.0',
    routeKey: 'GET /v1/probes/{token}',
    rawPath: `/v1/probes/${token}`,
    rawQueryString: '',
    headers: { authorization: `Bearer ${API_KEY}` },
    pathParameters: { token },
    requestContext: { requestId: 'apigw-1', http: { method: 'GET', path: `/v1/probes/${token}`, sourceIp: '192.0.2.1' } },
    isBase64Encoded: false,
  } as unknown as HttpEvent;
  const context = { functionName: 'probe', awsRequestId: 'lambda-request-1', invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:probe', memoryLimitInMB: '1024' } as MailroomContext;

  it('carry the request id, the Lambda request id and, after authentication, the team and key on every line', async () => {
    const { httpHandler, logger } = await load();
    const handler = httpHandler(route, {}, async () => {
      logger.info('inside the handler', { body: 'not for the logs' });
      return { status: 200, body: { ok: true } };
    });
    const response = await handler(event, context);
    expect(response.statusCode).toBe(200);
    const logged = lines();
    expect(logged.map((line) => line.message)).toEqual(['inside the handler', 'request']);
    const requestId = (response.headers as Record<string, string>)['X-Request-Id'];
    for (const line of logged) {
      expect(line).toMatchObject({ request_id: requestId, apigw_request_id: 'apigw-1', function_request_id: 'lambda-request-1', team_id: 'team_1', key_id: 'key_1' });
    }
    expect(logged[0]!.body).toBe(REDACTED);
    // The access line: the signed token in the path is a credential.
    expect(logged[1]).toMatchObject({ route: 'probe.get', status: 200, path: `/v1/probes/${REDACTED}` });
    expect(written.join('')).not.toContain(token);
    expect(written.join('')).not.toContain(API_KEY);
  });

  it('do not carry one request’s team into the next', async () => {
    const { httpHandler, logger } = await load();
    logger.appendKeys({ team_id: 'team_from_an_earlier_request' });
    const handler = httpHandler({ ...route, access: 'public' }, {}, async () => ({ status: 204 }));
    await handler(event, context);
    const [line] = lines();
    expect(line).toMatchObject({ message: 'request', status: 204 });
    expect(line).not.toHaveProperty('team_id');
  });
});
