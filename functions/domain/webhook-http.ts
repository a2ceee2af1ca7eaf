/**
 * Outbound HTTP for webhook deliveries. A subscriber chooses the URL, so every delivery is a request made on
 * their behalf from inside our network: the URL is checked when saved and again at delivery, and the hostname
 * is resolved by a lookup hook that refuses private addresses and hands the socket the very address it checked,
 * so a DNS answer that changes between check and connect (rebinding) cannot reach anything internal.
 */
import { promises as dns, type LookupOptions } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { StringDecoder } from 'node:string_decoder';

export interface DestinationPolicy {
  allowHttp: boolean;
  allowPrivateNetworks: boolean;
}

export type DeliveryFailureCode = 'invalid_url' | 'insecure_url' | 'blocked_address' | 'dns_failure' | 'timeout' | 'connection_failed';

/** Why a delivery got no HTTP response at all; `code` is stable for logs and the delivery record. */
export class DeliveryFailure extends Error {
  constructor(
    readonly code: DeliveryFailureCode,
    message: string,
  ) {
    super(message);
    this.name = 'DeliveryFailure';
  }
}

export interface WebhookResponse {
  status: number;
  durationMs: number;
  excerpt: string;
  retryAfterSeconds?: number;
}

export interface WebhookRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  maxResponseBytes: number;
  excerptBytes: number;
}

export type Resolver = (hostname: string) => Promise<{ address: string; family: number }[]>;

const MAX_URL_CHARS = 2048;
const MAX_RETRY_AFTER_SECONDS = 86_400;
const USER_AGENT = 'Mailroom-Webhooks/1.0';

const blocked = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  blocked.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96],
  ['64:ff9b:1::', 48],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const) {
  blocked.addSubnet(network, prefix, 'ipv6');
}

/** The eight 16-bit groups of an address isIP() already accepted as IPv6 (so no validation here). */
function ipv6Groups(ip: string): number[] {
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(ip);
  const hex = dotted
    ? `${ip.slice(0, dotted.index)}${((+dotted[1]! << 8) | +dotted[2]!).toString(16)}:${((+dotted[3]! << 8) | +dotted[4]!).toString(16)}`
    : ip;
  const [head, tail] = hex.split('::') as [string, string | undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const zeros = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...zeros, ...right].map((group) => parseInt(group, 16));
}

/** True when the IP (v4 or v6 text form) must never be contacted. */
export function isBlockedAddress(ip: string): boolean {
  const address = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
  const family = isIP(address);
  if (family === 4) return blocked.check(address, 'ipv4');
  // A zone index only makes sense on link-local addresses, and BlockList does not accept one.
  if (family !== 6 || address.includes('%')) return true;
  const groups = ipv6Groups(address);
  // IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d) addresses reach the IPv4 host they embed.
  // (:: and ::1 land in 0.0.0.0/8, blocked either way.)
  if (groups.slice(0, 5).every((group) => group === 0) && (groups[5] === 0xffff || groups[5] === 0)) {
    const [high, low] = [groups[6]!, groups[7]!];
    return blocked.check(`${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`, 'ipv4');
  }
  return blocked.check(address, 'ipv6');
}

const isLocalName = (hostname: string) =>
  hostname === 'localhost' || hostname.endsWith('.localhost') || hostname.endsWith('.internal');

/** The first rule the URL breaks, with the failure code a delivery reports for it. */
function urlProblem(url: string, policy: DestinationPolicy): { code: DeliveryFailureCode; message: string } | undefined {
  if (url.length > MAX_URL_CHARS) return { code: 'invalid_url', message: `The webhook URL must be at most ${MAX_URL_CHARS} characters (got ${url.length}).` };
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { code: 'invalid_url', message: 'The webhook URL must be an absolute URL, like "https://example.com/webhooks".' };
  }
  if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && policy.allowHttp)) {
    const allowed = policy.allowHttp ? 'https or http' : 'https';
    return { code: 'insecure_url', message: `The webhook URL must use ${allowed} (got ${parsed.protocol.slice(0, -1)}).` };
  }
  if (parsed.username || parsed.password) {
    return { code: 'invalid_url', message: 'The webhook URL must not contain a username or password; verify deliveries with the signature instead.' };
  }
  if (url.includes('#')) return { code: 'invalid_url', message: 'The webhook URL must not contain a fragment (#…): it is never sent to the server.' };
  if (policy.allowPrivateNetworks) return undefined;
  const hostname = parsed.hostname.replace(/\.$/, '');
  if (isLocalName(hostname)) return { code: 'blocked_address', message: `The webhook URL must point to a public host, not ${hostname}.` };
  if ((isIP(hostname) || hostname.startsWith('[')) && isBlockedAddress(hostname)) {
    return { code: 'blocked_address', message: `The webhook URL must point to a public address, not the private or reserved ${hostname}.` };
  }
  return undefined;
}

/** Checks a URL when a subscription is created/updated: returns an error message (for a 422) or undefined. */
export function checkWebhookUrl(url: string, policy: DestinationPolicy): string | undefined {
  return urlProblem(url, policy)?.message;
}

const defaultResolver: Resolver = (hostname) => dns.lookup(hostname, { all: true, verbatim: true });

/**
 * Every address the hostname resolves to, refused as a whole if any is blocked: checking only the one the
 * socket picks would let a host listing one public and one private address through.
 */
async function checkedAddresses(resolve: Resolver, policy: DestinationPolicy, hostname: string, family: LookupOptions['family']): Promise<{ address: string; family: number }[]> {
  let answers: Awaited<ReturnType<Resolver>>;
  try {
    answers = await resolve(hostname);
  } catch (error) {
    throw new DeliveryFailure('dns_failure', `could not resolve ${hostname} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  const bad = policy.allowPrivateNetworks ? undefined : answers.find(({ address }) => isBlockedAddress(address));
  if (bad) throw new DeliveryFailure('blocked_address', `webhook URL resolves to a private or reserved address (${bad.address})`);
  const addresses = answers
    .map(({ address }) => ({ address, family: isIP(address) }))
    .filter((answer) => answer.family !== 0 && (!family || answer.family === family));
  if (addresses.length === 0) throw new DeliveryFailure('dns_failure', `could not resolve ${hostname} (no usable addresses)`);
  return addresses;
}

/** A net `lookup` that connects to exactly the addresses checkedAddresses() let through. */
function guardedLookup(resolve: Resolver, policy: DestinationPolicy): LookupFunction {
  return (hostname, options, callback) => {
    checkedAddresses(resolve, policy, hostname, options.family).then(
      (addresses) => {
        // net asks for every address (all: true) when it races IPv4 and IPv6 (autoSelectFamily, on by default
        // since Node 20) and for one otherwise, and the callback's shape differs between the two.
        if (options.all) callback(null, addresses);
        else callback(null, addresses[0]!.address, addresses[0]!.family);
      },
      (error: DeliveryFailure) => callback(error, ''),
    );
  };
}

/** Retry-After as whole seconds from now: delta-seconds or an HTTP-date, capped at a day. */
function retryAfterSeconds(value: string | undefined): number | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  let seconds: number;
  if (/^\d+$/.test(text)) seconds = Number(text);
  // Date.parse reads almost anything ("7.5" is a date in 2001), so only hand it what starts like an HTTP-date.
  else if (/^(mon|tue|wed|thu|fri|sat|sun)/i.test(text)) {
    // asctime() dates carry no zone but are GMT.
    const at = Date.parse(/gmt$/i.test(text) ? text : `${text} GMT`);
    if (Number.isNaN(at)) return undefined;
    seconds = Math.max(0, Math.ceil((at - Date.now()) / 1000));
  } else return undefined;
  return Math.min(seconds, MAX_RETRY_AFTER_SECONDS);
}

function connectionFailure(error: Error & { code?: string; errors?: { code?: string }[] }): DeliveryFailure {
  // With several addresses net reports an AggregateError of the per-address attempts.
  const code = error.code ?? error.errors?.[0]?.code ?? error.message;
  return new DeliveryFailure('connection_failed', `connection failed (${code})`);
}

/**
 * POSTs one delivery. Resolves with whatever response the server gives, 3xx included (redirects are never
 * followed, since the target would escape the checks); rejects with a DeliveryFailure when there is none.
 */
export async function postWebhook(request: WebhookRequest, policy: DestinationPolicy, resolver: Resolver = defaultResolver): Promise<WebhookResponse> {
  const problem = urlProblem(request.url, policy);
  if (problem) throw new DeliveryFailure(problem.code, problem.message);
  const url = new URL(request.url);
  const body = Buffer.from(request.body, 'utf8');
  const ours: Record<string, string> = { 'content-type': 'application/json', 'user-agent': USER_AGENT, 'content-length': String(body.length) };
  const headers = Object.fromEntries(Object.entries(request.headers).filter(([name]) => !(name.toLowerCase() in ours)));
  const started = performance.now();

  return new Promise<WebhookResponse>((resolve, reject) => {
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      outcome();
    };
    const fail = (error: DeliveryFailure) => settle(() => reject(error));

    // One timer for DNS, connect, headers and body, so a slow drip cannot hold a delivery open.
    const timer = setTimeout(() => {
      const timeout = new DeliveryFailure('timeout', `no response within ${request.timeoutMs / 1000} s`);
      fail(timeout);
      req.destroy(timeout);
    }, request.timeoutMs);

    const req = (url.protocol === 'https:' ? https : http).request(
      {
        protocol: url.protocol,
        hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
        port: url.port || undefined,
        path: `${url.pathname}${url.search}`,
        method: 'POST',
        headers: { ...headers, ...ours },
        lookup: guardedLookup(resolver, policy),
        // Not the shared global agent: reusing a socket some other request opened would skip this lookup and its check.
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let received = 0;
        const finish = () => {
          const excerpt = Buffer.concat(chunks).subarray(0, request.excerptBytes);
          settle(() =>
            resolve({
              status: res.statusCode ?? 0,
              durationMs: Math.round(performance.now() - started),
              // StringDecoder.write holds back a trailing incomplete character instead of mangling it.
              excerpt: new StringDecoder('utf8').write(excerpt),
              retryAfterSeconds: retryAfterSeconds(res.headers['retry-after']),
            }),
          );
          // Stop downloading whatever is left of an oversized body.
          req.destroy();
        };
        res.on('data', (chunk: Buffer) => {
          if (settled) return;
          const room = request.maxResponseBytes - received;
          chunks.push(chunk.length > room ? chunk.subarray(0, room) : chunk);
          received += Math.min(chunk.length, room);
          if (received >= request.maxResponseBytes) finish();
        });
        res.on('end', finish);
        res.on('error', (error) => fail(connectionFailure(error)));
        if (request.maxResponseBytes <= 0) finish();
      },
    );
    req.on('error', (error) => fail(error instanceof DeliveryFailure ? error : connectionFailure(error)));

    req.end(body);
  });
}
