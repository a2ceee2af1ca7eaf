import { createServer, get, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, LookupFunction } from 'node:net';
import { getDefaultAutoSelectFamily, setDefaultAutoSelectFamily } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { checkWebhookUrl, DeliveryFailure, isBlockedAddress, postWebhook } from '../../functions/domain/webhook-http.js';

const production = { allowHttp: false, allowPrivateNetworks: false };
/** Production rules on reachability, but plain http so a local test server can stand in for a subscriber. */
const productionHttp = { allowHttp: true, allowPrivateNetworks: false };
const development = { allowHttp: true, allowPrivateNetworks: true };

describe('isBlockedAddress', () => {
  it.each([
    '127.0.0.1',
    '10.0.0.1',
    '169.254.169.254',
    '::ffff:127.0.0.1',
    '[::ffff:127.0.0.1]',
    '::ffff:7f00:1',
    '::1',
    'fe80::1',
    'fd00::1',
    '100.64.0.1',
    '0.0.0.0',
    '224.0.0.1',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '192.0.2.1',
    '198.18.0.1',
    '198.51.100.7',
    '203.0.113.9',
    '240.0.0.1',
    '255.255.255.255',
    '::',
    '::127.0.0.1',
    '0:0:0:0:0:ffff:a00:1',
    'fc00::1',
    'fd00:ec2::254',
    'ff02::1',
    '64:ff9b::7f00:1',
    '2001:db8::1',
    'fe80::1%eth0',
    'not an ip',
    '',
    '127.1',
  ])('blocks %j', (ip) => {
    expect(isBlockedAddress(ip)).toBe(true);
  });

  it.each(['93.184.216.34', '1.1.1.1', '2606:4700:4700::1111', '[2606:4700:4700::1111]', '::ffff:1.1.1.1', '172.32.0.1', '100.128.0.1', '11.0.0.1'])(
    'allows %j',
    (ip) => {
      expect(isBlockedAddress(ip)).toBe(false);
    },
  );
});

describe('checkWebhookUrl', () => {
  it('accepts a public https URL', () => {
    expect(checkWebhookUrl('https://hooks.example.com/mailroom?team=t1', production)).toBeUndefined();
  });

  it('refuses http unless the policy allows it', () => {
    expect(checkWebhookUrl('http://hooks.example.com/mailroom', production)).toBe('The webhook URL must use https (got http).');
    expect(checkWebhookUrl('http://hooks.example.com/mailroom', productionHttp)).toBeUndefined();
    expect(checkWebhookUrl('ftp://hooks.example.com/mailroom', development)).toBe('The webhook URL must use https or http (got ftp).');
  });

  it.each(['https://user:secret@hooks.example.com/', 'https://user@hooks.example.com/', 'https://:secret@hooks.example.com/'])('refuses credentials in %j', (url) => {
    expect(checkWebhookUrl(url, development)).toMatch(/must not contain a username or password/);
  });

  it.each([
    ['https://hooks.example.com/mailroom#events', /must not contain a fragment/],
    ['https://hooks.example.com/mailroom#', /must not contain a fragment/],
    ['/mailroom', /must be an absolute URL/],
    ['hooks.example.com/mailroom', /must be an absolute URL/],
    ['', /must be an absolute URL/],
  ])('refuses %j', (url, message) => {
    expect(checkWebhookUrl(url, development)).toMatch(message);
  });

  it('accepts a URL of 2048 characters and no more', () => {
    const base = 'https://hooks.example.com/';
    const url = `${base}${'a'.repeat(2048 - base.length)}`;
    expect(checkWebhookUrl(url, production)).toBeUndefined();
    expect(checkWebhookUrl(`${url}a`, production)).toBe('The webhook URL must be at most 2048 characters (got 2049).');
  });

  it.each([
    'http://localhost:3000/hooks',
    'https://LOCALHOST./hooks',
    'https://api.localhost/hooks',
    'https://metadata.google.internal/computeMetadata/v1/',
    'https://vault.internal/hooks',
    'https://127.0.0.1/hooks',
    'https://10.0.0.1/hooks',
    'https://169.254.169.254/latest/meta-data/',
    'https://[::1]/hooks',
    'https://[::ffff:127.0.0.1]/hooks',
    'https://[fd00:ec2::254]/latest/meta-data/',
    'https://2130706433/hooks',
    'https://0x7f.0.0.1/hooks',
  ])('refuses %j in production and allows it with allowPrivateNetworks', (url) => {
    const message = checkWebhookUrl(url, productionHttp);
    expect(message).toMatch(/^The webhook URL must point to a public (host|address), not .+\.$/);
    expect(checkWebhookUrl(url, development)).toBeUndefined();
  });

  it('accepts a literal public address', () => {
    expect(checkWebhookUrl('https://93.184.216.34/hooks', production)).toBeUndefined();
    expect(checkWebhookUrl('https://[2606:4700:4700::1111]/hooks', production)).toBeUndefined();
  });
});

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

interface TestServer {
  port: number;
  seen: Seen[];
  connections: number;
  closed: Promise<void>;
}

const servers: ReturnType<typeof createServer>[] = [];

/** A local subscriber: records every request (body included) before handing it to `respond`. */
async function startServer(respond: (req: IncomingMessage, res: ServerResponse) => void): Promise<TestServer> {
  let onClose!: () => void;
  const state: TestServer = { port: 0, seen: [], connections: 0, closed: new Promise((resolve) => (onClose = resolve)) };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      state.seen.push({ method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      respond(req, res);
    });
    res.on('close', onClose);
  });
  server.on('connection', () => state.connections++);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.port = (server.address() as AddressInfo).port;
  return state;
}

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

const payload = JSON.stringify({ type: 'email.delivered', data: { email_id: 'em_1', subject: 'Naïve café ✓' } });

const delivery = (url: string, overrides: Partial<Parameters<typeof postWebhook>[0]> = {}) => ({
  url,
  headers: { 'webhook-id': 'msg_1', 'webhook-timestamp': '1700000000', 'webhook-signature': 'v1,c2lnbmF0dXJl' },
  body: payload,
  timeoutMs: 5000,
  maxResponseBytes: 65_536,
  excerptBytes: 1024,
  ...overrides,
});

/** A resolver standing in for DNS that answers every name with the given addresses. */
const resolvingTo = (...addresses: string[]) =>
  vi.fn(async (_hostname: string) => addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));

async function failure(promise: Promise<unknown>): Promise<DeliveryFailure> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(DeliveryFailure);
  return error as DeliveryFailure;
}

describe('postWebhook', () => {
  it('posts the body and headers as sent and returns the response', async () => {
    const server = await startServer((_req, res) => res.end('{"ok":true}'));
    const result = await postWebhook(delivery(`http://127.0.0.1:${server.port}/hooks?team=t1`), development);

    expect(result).toEqual({ status: 200, durationMs: expect.any(Number), excerpt: '{"ok":true}', retryAfterSeconds: undefined });
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
    expect(server.seen).toHaveLength(1);
    const [seen] = server.seen;
    expect(seen).toMatchObject({ method: 'POST', url: '/hooks?team=t1', body: payload });
    expect(seen!.headers).toMatchObject({
      'content-type': 'application/json',
      'user-agent': 'Mailroom-Webhooks/1.0',
      'content-length': String(Buffer.byteLength(payload)),
      'webhook-id': 'msg_1',
      'webhook-timestamp': '1700000000',
      'webhook-signature': 'v1,c2lnbmF0dXJl',
      host: `127.0.0.1:${server.port}`,
    });
  });

  it('sets content-type, user-agent and content-length itself whatever the caller passes', async () => {
    const server = await startServer((_req, res) => res.end());
    const headers = { 'Content-Type': 'text/plain', 'User-Agent': 'curl/8', 'Content-Length': '1', 'webhook-id': 'msg_2' };
    await postWebhook(delivery(`http://127.0.0.1:${server.port}/`, { headers }), development);

    expect(server.seen[0]!.headers).toMatchObject({
      'content-type': 'application/json',
      'user-agent': 'Mailroom-Webhooks/1.0',
      'content-length': String(Buffer.byteLength(payload)),
      'webhook-id': 'msg_2',
    });
    expect(server.seen[0]!.body).toBe(payload);
  });

  it('caps the excerpt at excerptBytes and drops a character cut in half', async () => {
    const server = await startServer((_req, res) => res.end('é'.repeat(100)));
    const result = await postWebhook(delivery(`http://127.0.0.1:${server.port}/`, { excerptBytes: 5 }), development);
    expect(result.excerpt).toBe('éé');
  });

  it('stops reading a large streaming response at maxResponseBytes', async () => {
    const total = 5 * 1024 * 1024;
    const chunk = Buffer.alloc(64 * 1024, 'x');
    let written = 0;
    const server = await startServer((_req, res) => {
      res.writeHead(200, { 'content-length': String(total) });
      // Paced so that streaming it all would take well over a second.
      const timer = setInterval(() => {
        res.write(chunk);
        written += chunk.length;
        if (written >= total) {
          clearInterval(timer);
          res.end();
        }
      }, 20);
      res.on('close', () => clearInterval(timer));
    });
    const started = performance.now();
    const result = await postWebhook(delivery(`http://127.0.0.1:${server.port}/`, { maxResponseBytes: 100_000, excerptBytes: 10 }), development);

    expect(result.status).toBe(200);
    expect(result.excerpt).toBe('xxxxxxxxxx');
    expect(performance.now() - started).toBeLessThan(1000);
    await server.closed;
    expect(written).toBeLessThan(total);
  });

  it('returns a redirect as it is, without following it', async () => {
    const target = await startServer((_req, res) => res.end('redirected'));
    const server = await startServer((_req, res) => res.writeHead(302, { location: `http://127.0.0.1:${target.port}/elsewhere` }).end());
    const result = await postWebhook(delivery(`http://127.0.0.1:${server.port}/`), development);

    expect(result.status).toBe(302);
    expect(target.connections).toBe(0);
  });

  it('reads Retry-After as delta-seconds', async () => {
    const server = await startServer((_req, res) => res.writeHead(429, { 'retry-after': '7' }).end('slow down'));
    const result = await postWebhook(delivery(`http://127.0.0.1:${server.port}/`), development);
    expect(result).toMatchObject({ status: 429, excerpt: 'slow down', retryAfterSeconds: 7 });
  });

  it('reads Retry-After as an HTTP-date', async () => {
    const at = new Date(Date.now() + 30_000).toUTCString();
    const server = await startServer((_req, res) => res.writeHead(503, { 'retry-after': at }).end());
    const { retryAfterSeconds } = await postWebhook(delivery(`http://127.0.0.1:${server.port}/`), development);
    expect(retryAfterSeconds).toBeGreaterThanOrEqual(28);
    expect(retryAfterSeconds).toBeLessThanOrEqual(30);
  });

  it.each([
    ['0', 0],
    [' 12 ', 12],
    ['100000', 86_400],
    ['Wed, 21 Oct 2015 07:28:00 GMT', 0],
    ['Sunday, 06-Nov-94 08:49:37 GMT', 0],
    ['Sun Nov  6 08:49:37 1994', 0],
    ['-3', undefined],
    ['7.5', undefined],
    ['soon', undefined],
    ['Wed, 99 Oct 2015 07:28:00 GMT', undefined],
  ])('reads Retry-After %j as %j', async (value, seconds) => {
    const server = await startServer((_req, res) => res.writeHead(503, { 'retry-after': value }).end());
    const result = await postWebhook(delivery(`http://127.0.0.1:${server.port}/`), development);
    expect(result.retryAfterSeconds).toBe(seconds);
  });

  it('times out a server that never answers', async () => {
    const server = await startServer(() => {});
    const started = performance.now();
    const error = await failure(postWebhook(delivery(`http://127.0.0.1:${server.port}/`, { timeoutMs: 300 }), development));

    expect(error).toMatchObject({ code: 'timeout', message: 'no response within 0.3 s' });
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    expect(performance.now() - started).toBeLessThan(1500);
    await server.closed;
  });

  it('counts a body that never finishes against the same timeout', async () => {
    const server = await startServer((_req, res) => res.writeHead(200).write('partial'));
    const error = await failure(postWebhook(delivery(`http://127.0.0.1:${server.port}/`, { timeoutMs: 300 }), development));
    expect(error.code).toBe('timeout');
  });

  it('counts DNS against the same timeout', async () => {
    const resolver = () => new Promise<{ address: string; family: number }[]>(() => {});
    const error = await failure(postWebhook(delivery('http://hooks.example.com/', { timeoutMs: 300 }), development, resolver));
    expect(error.code).toBe('timeout');
  });

  it.each(['127.0.0.1', '10.0.0.1', '169.254.169.254', '::ffff:127.0.0.1', '::1', 'fd00:ec2::254'])(
    'refuses a hostname resolving to %j before connecting',
    async (address) => {
      const server = await startServer((_req, res) => res.end());
      const resolver = resolvingTo(address);
      const error = await failure(postWebhook(delivery(`http://hooks.example.com:${server.port}/`), productionHttp, resolver));

      expect(error).toMatchObject({ code: 'blocked_address', message: `webhook URL resolves to a private or reserved address (${address})` });
      expect(resolver).toHaveBeenCalledWith('hooks.example.com');
      expect(server.connections).toBe(0);
    },
  );

  it('refuses a hostname if any of its addresses is private', async () => {
    const server = await startServer((_req, res) => res.end());
    const error = await failure(postWebhook(delivery(`http://hooks.example.com:${server.port}/`), productionHttp, resolvingTo('93.184.216.34', '127.0.0.1')));
    expect(error).toMatchObject({ code: 'blocked_address', message: 'webhook URL resolves to a private or reserved address (127.0.0.1)' });
    expect(server.connections).toBe(0);
  });

  it('refuses a literal private address without resolving it', async () => {
    const server = await startServer((_req, res) => res.end());
    const resolver = resolvingTo('93.184.216.34');
    const error = await failure(postWebhook(delivery(`http://127.0.0.1:${server.port}/`), productionHttp, resolver));

    expect(error.code).toBe('blocked_address');
    expect(resolver).not.toHaveBeenCalled();
    expect(server.connections).toBe(0);
  });

  it('connects to the address it resolved and keeps the hostname in Host', async () => {
    const server = await startServer((_req, res) => res.end('ok'));
    const resolver = resolvingTo('127.0.0.1');
    const result = await postWebhook(delivery(`http://hooks.example.com:${server.port}/hooks`), development, resolver);

    expect(result.status).toBe(200);
    expect(resolver).toHaveBeenCalledWith('hooks.example.com');
    expect(server.seen[0]!.headers.host).toBe(`hooks.example.com:${server.port}`);
  });

  it('tries every resolved address when net races IPv4 and IPv6', async () => {
    const server = await startServer((_req, res) => res.end('ok'));
    // The server only listens on IPv4, so this succeeds only if net was handed both addresses.
    const result = await postWebhook(delivery(`http://hooks.example.com:${server.port}/`), development, resolvingTo('::1', '127.0.0.1'));
    expect(result.status).toBe(200);
  });

  it('never reuses a pooled connection that skipped the check', async () => {
    const server = await startServer((_req, res) => res.end('ok'));
    // Another caller leaves a keep-alive socket to the same host and port in the global agent's pool.
    await new Promise<void>((resolve, reject) => {
      const lookup: LookupFunction = (_hostname, options, callback) =>
        options.all ? callback(null, [{ address: '127.0.0.1', family: 4 }]) : callback(null, '127.0.0.1', 4);
      get({ host: 'hooks.example.com', port: server.port, lookup }, (res) => res.resume().on('end', resolve)).on('error', reject);
    });
    const error = await failure(postWebhook(delivery(`http://hooks.example.com:${server.port}/`), productionHttp, resolvingTo('127.0.0.1')));

    expect(error.code).toBe('blocked_address');
    expect(server.seen).toHaveLength(1);
  });

  it('answers the single-address lookup when autoSelectFamily is off', async () => {
    const previous = getDefaultAutoSelectFamily();
    setDefaultAutoSelectFamily(false);
    try {
      const server = await startServer((_req, res) => res.end('ok'));
      const result = await postWebhook(delivery(`http://hooks.example.com:${server.port}/`), development, resolvingTo('127.0.0.1'));
      expect(result.status).toBe(200);
    } finally {
      setDefaultAutoSelectFamily(previous);
    }
  });

  it('resolves with the system resolver by default', async () => {
    const server = await startServer((_req, res) => res.end('ok'));
    const result = await postWebhook(delivery(`http://localhost:${server.port}/`), development);
    expect(result.status).toBe(200);
  });

  it('reports a refused connection', async () => {
    const server = await startServer(() => {});
    const { port } = server;
    servers.pop()!.close();
    const error = await failure(postWebhook(delivery(`http://hooks.example.com:${port}/`), development, resolvingTo('127.0.0.1')));
    expect(error).toMatchObject({ code: 'connection_failed', message: 'connection failed (ECONNREFUSED)' });
  });

  it('reports a failed TLS handshake', async () => {
    const server = await startServer((_req, res) => res.end());
    const resolver = resolvingTo('127.0.0.1');
    const error = await failure(postWebhook(delivery(`https://hooks.example.com:${server.port}/`), development, resolver));

    expect(error.code).toBe('connection_failed');
    expect(error.message).toMatch(/^connection failed \(\w+\)$/);
    expect(resolver).toHaveBeenCalledWith('hooks.example.com');
  });

  it('reports a name that does not resolve', async () => {
    const notFound = Object.assign(new Error('getaddrinfo ENOTFOUND hooks.example.com'), { code: 'ENOTFOUND' });
    const error = await failure(postWebhook(delivery('https://hooks.example.com/'), production, () => Promise.reject(notFound)));
    expect(error).toMatchObject({ code: 'dns_failure', message: 'could not resolve hooks.example.com (ENOTFOUND)' });

    const empty = await failure(postWebhook(delivery('https://hooks.example.com/'), production, resolvingTo()));
    expect(empty.code).toBe('dns_failure');
  });

  it.each([
    ['not a url', production, 'invalid_url'],
    ['https://user:secret@hooks.example.com/', production, 'invalid_url'],
    ['http://hooks.example.com/', production, 'insecure_url'],
    ['ftp://hooks.example.com/', development, 'insecure_url'],
    ['https://metadata.google.internal/', production, 'blocked_address'],
  ] as const)('refuses %j before any request', async (url, policy, code) => {
    const resolver = resolvingTo('93.184.216.34');
    const error = await failure(postWebhook(delivery(url), policy, resolver));
    expect(error.code).toBe(code);
    expect(resolver).not.toHaveBeenCalled();
  });
});
