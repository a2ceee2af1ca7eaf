/**
 * The local S3 endpoint. fauxqs stores objects but checks no signatures, sends no event notifications and
 * keeps no object tags. This front proxies every path-style request to it, streaming bodies both ways, and
 * adds what S3 and CloudFront do on AWS:
 *   - presigned requests (SigV4 query auth) are verified as S3 does: the signature over the actual method,
 *     path, query and signed header values (so a signed content-length or content-type is enforced), and expiry;
 *   - bucket notifications (PUT/GET /{bucket}?notification, SQS destinations) after each successful
 *     PutObject, CopyObject, CompleteMultipartUpload, DeleteObject and DeleteObjects, with S3's event JSON;
 *   - object tagging (?tagging and the x-amz-tagging header), copied and dropped with the object;
 *   - GET/HEAD /_public/{bucket}/{key}: what a CloudFront distribution with OAC serves when the bucket policy
 *     allows only objects tagged mailroom-visibility=public (everything else, missing objects included, is 403).
 * Header-authenticated requests (the SDK's normal calls) pass unverified. Notification configurations and
 * tags persist in a JSON file when one is given. Only ObjectCreated and ObjectRemoved events are emitted, and a
 * request body above fauxqs's 11 MiB is refused with EntityTooLarge (larger objects go up in parts).
 */
import { createServer, request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { finished, pipeline } from 'node:stream/promises';
import type { AddressInfo } from 'node:net';
import { HeadBucketCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetQueueUrlCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { PUBLIC_TAG } from '../functions/schemas/storage.js';
import { listenOn, withoutHopByHop } from './http-helpers.js';

/** The tag the CloudFront path requires, as the bucket policy does on AWS. */

export interface S3FrontOptions {
  port: number;
  /** The fauxqs endpoint objects are stored in. */
  upstream: string;
  /** Where notification queues live (fauxqs). */
  sqsEndpoint: string;
  region: string;
  /** The only credentials presigned URLs may be signed with. */
  credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** JSON file for notification configurations and tags; in memory without one. */
  stateFile?: string;
  onError?: (error: unknown) => void;
}

export interface S3Front {
  endpoint: string;
  port: number;
  stop(): Promise<void>;
}

interface Tag {
  Key: string;
  Value: string;
}

interface QueueConfiguration {
  id: string;
  queueArn: string;
  events: string[];
  prefix?: string;
  suffix?: string;
}

interface FrontState {
  notifications: Record<string, QueueConfiguration[]>;
  /** bucket → key → tags. */
  tags: Record<string, Record<string, Tag[]>>;
  /** Tags given to CreateMultipartUpload, applied when the upload completes. */
  uploads: Record<string, Tag[]>;
}

type CreatedEvent = 'ObjectCreated:Put' | 'ObjectCreated:Copy' | 'ObjectCreated:CompleteMultipartUpload';
type EventName = CreatedEvent | 'ObjectRemoved:Delete';

const XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';
const MAX_XML_BYTES = 4 * 1024 * 1024;
/** fauxqs (Fastify's bodyLimit) takes no larger request body and drops the connection mid-upload. */
const UPSTREAM_BODY_LIMIT = 11 * 1024 * 1024;
const MAX_EXPIRES_SECONDS = 604_800;
/** Query parameters of SigV4 itself, never headers hoisted into the query. */
const QUERY_AUTH_PARAMS = new Set([
  'x-amz-algorithm',
  'x-amz-credential',
  'x-amz-date',
  'x-amz-expires',
  'x-amz-signedheaders',
  'x-amz-signature',
  'x-amz-security-token',
  'x-amz-content-sha256',
]);
const NOTIFICATION_EVENTS = new Set([
  's3:ObjectCreated:*',
  's3:ObjectCreated:Put',
  's3:ObjectCreated:Post',
  's3:ObjectCreated:Copy',
  's3:ObjectCreated:CompleteMultipartUpload',
  's3:ObjectRemoved:*',
  's3:ObjectRemoved:Delete',
  's3:ObjectRemoved:DeleteMarkerCreated',
  's3:ObjectRestore:*',
  's3:ObjectRestore:Post',
  's3:ObjectRestore:Completed',
  's3:ObjectRestore:Delete',
  's3:ReducedRedundancyLostObject',
  's3:Replication:*',
  's3:Replication:OperationFailedReplication',
  's3:Replication:OperationMissedThreshold',
  's3:Replication:OperationReplicatedAfterThreshold',
  's3:Replication:OperationNotTracked',
  's3:LifecycleExpiration:*',
  's3:LifecycleExpiration:Delete',
  's3:LifecycleExpiration:DeleteMarkerCreated',
  's3:LifecycleTransition',
  's3:IntelligentTiering',
  's3:ObjectTagging:*',
  's3:ObjectTagging:Put',
  's3:ObjectTagging:Delete',
  's3:ObjectAcl:Put',
]);

class S3Error extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    readonly details: Record<string, string> = {},
  ) {
    super(message);
  }
}

const noSuchBucket = (bucket: string) => new S3Error('NoSuchBucket', 404, 'The specified bucket does not exist', { BucketName: bucket });
const noSuchKey = (key: string) => new S3Error('NoSuchKey', 404, 'The specified key does not exist.', { Key: key });
const invalidTag = (message: string) => new S3Error('InvalidTag', 400, message);
const invalidArgument = (message: string, name?: string, value?: string) =>
  new S3Error('InvalidArgument', 400, message, name ? { ArgumentName: name, ArgumentValue: value ?? '' } : {});
const malformedXml = () => new S3Error('MalformedXML', 400, 'The XML you provided was not well-formed or did not validate against our published schema');
const queryAuthError = (message: string) => new S3Error('AuthorizationQueryParametersError', 400, message);
const accessDenied = () => new S3Error('AccessDenied', 403, 'Access Denied');

const escapeXml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);

const unescapeXml = (text: string) =>
  text.replace(/&(lt|gt|quot|apos|amp|#x[0-9a-fA-F]+|#[0-9]+);/g, (_, entity: string) => {
    const named: Record<string, string> = { lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' };
    if (named[entity]) return named[entity];
    return String.fromCodePoint(entity[1] === 'x' ? parseInt(entity.slice(2), 16) : parseInt(entity.slice(1), 10));
  });

/** Contents of every <name> element; the shapes read here never nest an element in one of its own name. */
function elements(xml: string, name: string): string[] {
  return [...xml.matchAll(new RegExp(`<${name}(?:\\s[^>]*)?>([\\s\\S]*?)</${name}>`, 'g'))].map((m) => m[1]!);
}

const text = (xml: string, name: string): string | undefined => {
  const [first] = elements(xml, name);
  return first === undefined ? undefined : unescapeXml(first.trim());
};

/** SigV4's UriEncode: everything but A-Z a-z 0-9 - _ . ~ percent-encoded. */
const uriEncode = (value: string) => encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** Keys in event records are form-urlencoded with their slashes kept ("red flower.jpg" → "red+flower.jpg"). */
const eventKey = (key: string) =>
  key
    .split('/')
    .map((segment) =>
      encodeURIComponent(segment)
        .replace(/[!'()~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
        .replace(/%20/g, '+'),
    )
    .join('/');

const unquote = (etag: string | undefined) => (etag ?? '').replace(/^"|"$/g, '');

/** Percent-decoding of a path or query part; S3's InvalidURI when it is malformed. */
function decodePath(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new S3Error('InvalidURI', 400, "Couldn't parse the specified URI.");
  }
}

function loadState(file: string | undefined): FrontState {
  const empty: FrontState = { notifications: {}, tags: {}, uploads: {} };
  if (!file || !existsSync(file)) return empty;
  return { ...empty, ...JSON.parse(readFileSync(file, 'utf8')) };
}

async function readAll(stream: IncomingMessage, limit = Infinity): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new S3Error('MaxMessageLengthExceeded', 400, 'Your request was too big.');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Reads what the client still sends, so an early answer reaches it intact. */
async function drain(req: IncomingMessage): Promise<void> {
  if (req.readableEnded || req.destroyed) return;
  req.resume();
  await finished(req).catch(() => undefined);
}

/** x-amz-tagging (URL-query-encoded `k=v&k2=v2`), from the headers or, presigned, hoisted into the query. */
function requestTags(req: IncomingMessage, target: Target): Tag[] {
  const header = req.headers['x-amz-tagging'] ?? (target.query.has('X-Amz-Signature') ? target.query.get('x-amz-tagging') : null);
  if (header == null) return [];
  return validateTags([...new URLSearchParams(String(header))].map(([Key, Value]) => ({ Key, Value })));
}

function validateTags(tags: Tag[]): Tag[] {
  if (tags.length > 10) throw invalidTag('Object tags cannot be greater than 10');
  const seen = new Set<string>();
  const allowed = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
  for (const { Key, Value } of tags) {
    if (seen.has(Key)) throw invalidTag('Cannot provide multiple Tags with the same key');
    seen.add(Key);
    if (Key.length === 0 || Key.length > 128 || !allowed.test(Key)) throw invalidTag('The TagKey you have provided is invalid');
    if (Value.length > 256 || !allowed.test(Value)) throw invalidTag('The TagValue you have provided is invalid');
    if (Key.toLowerCase().startsWith('aws:')) throw invalidTag('Your TagKey cannot be prefixed with aws:');
  }
  return tags;
}

function parseNotificationConfiguration(xml: string): QueueConfiguration[] {
  for (const other of ['TopicConfiguration', 'CloudFunctionConfiguration', 'LambdaFunctionConfiguration', 'EventBridgeConfiguration']) {
    if (xml.includes(`<${other}`)) throw new S3Error('NotImplemented', 501, `The local S3 front delivers notifications to SQS queues only (got a ${other}).`);
  }
  const configurations = elements(xml, 'QueueConfiguration').map((entry): QueueConfiguration => {
    const queueArn = text(entry, 'Queue');
    const events = elements(entry, 'Event').map((e) => unescapeXml(e.trim()));
    if (!queueArn || events.length === 0) throw malformedXml();
    for (const event of events) if (!NOTIFICATION_EVENTS.has(event)) throw invalidArgument('The event is not supported for notifications', 'Event', event);
    const configuration: QueueConfiguration = { id: text(entry, 'Id') || randomUUID(), queueArn, events };
    for (const rule of elements(entry, 'FilterRule')) {
      const name = (text(rule, 'Name') ?? '').toLowerCase();
      if (name !== 'prefix' && name !== 'suffix') throw invalidArgument('filter rule name must be either prefix or suffix', 'FilterRule', name);
      if (configuration[name] !== undefined) throw invalidArgument(`Cannot specify more than one ${name} rule in a filter.`, 'FilterRule', name);
      configuration[name] = text(rule, 'Value') ?? '';
    }
    return configuration;
  });
  const overlaps = (a: string, b: string) => a === b || (a.endsWith(':*') && b.startsWith(a.slice(0, -1))) || (b.endsWith(':*') && a.startsWith(b.slice(0, -1)));
  for (const [i, a] of configurations.entries()) {
    for (const b of configurations.slice(i + 1)) {
      const prefixes = [a.prefix ?? '', b.prefix ?? ''];
      const suffixes = [a.suffix ?? '', b.suffix ?? ''];
      if (
        a.events.some((x) => b.events.some((y) => overlaps(x, y))) &&
        (prefixes[0]!.startsWith(prefixes[1]!) || prefixes[1]!.startsWith(prefixes[0]!)) &&
        (suffixes[0]!.endsWith(suffixes[1]!) || suffixes[1]!.endsWith(suffixes[0]!))
      ) {
        throw invalidArgument(
          'Configuration is ambiguously defined. Cannot have overlapping suffixes in two rules if the prefixes are overlapping for the same event type.',
        );
      }
    }
  }
  return configurations;
}

function notificationXml(configurations: QueueConfiguration[]): string {
  const entries = configurations.map((c) => {
    const rules = (['prefix', 'suffix'] as const)
      .filter((name) => c[name] !== undefined)
      .map((name) => `<FilterRule><Name>${name === 'prefix' ? 'Prefix' : 'Suffix'}</Name><Value>${escapeXml(c[name]!)}</Value></FilterRule>`)
      .join('');
    return (
      `<QueueConfiguration><Id>${escapeXml(c.id)}</Id><Queue>${escapeXml(c.queueArn)}</Queue>` +
      c.events.map((e) => `<Event>${escapeXml(e)}</Event>`).join('') +
      (rules ? `<Filter><S3Key>${rules}</S3Key></Filter>` : '') +
      '</QueueConfiguration>'
    );
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<NotificationConfiguration xmlns="${XMLNS}">${entries.join('')}</NotificationConfiguration>`;
}

const matches = (configuration: QueueConfiguration, eventName: EventName, key: string) =>
  configuration.events.some((e) => e === `s3:${eventName}` || (e.endsWith(':*') && `s3:${eventName}`.startsWith(e.slice(0, -1)))) &&
  key.startsWith(configuration.prefix ?? '') &&
  key.endsWith(configuration.suffix ?? '');

interface Target {
  rawPath: string;
  rawQuery: string;
  query: URLSearchParams;
  bucket: string;
  key: string;
}

function parseTarget(url: string): Target {
  const q = url.indexOf('?');
  const rawPath = q === -1 ? url : url.slice(0, q);
  const rawQuery = q === -1 ? '' : url.slice(q + 1);
  const slash = rawPath.indexOf('/', 1);
  const bucket = decodePath(slash === -1 ? rawPath.slice(1) : rawPath.slice(1, slash));
  const key = slash === -1 ? '' : decodePath(rawPath.slice(slash + 1));
  return { rawPath, rawQuery, query: new URLSearchParams(rawQuery), bucket, key };
}

const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();
const parseAmzDate = (value: string) => {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  return m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) : NaN;
};

/**
 * SigV4 query authentication as S3 checks it: the canonical request is rebuilt from what actually arrived
 * (the path decoded and re-encoded once per segment, every signed header's actual value), so a request whose
 * Content-Length or Content-Type differs from the signed one fails. The payload is UNSIGNED-PAYLOAD.
 */
function verifyPresigned(req: IncomingMessage, target: Target, region: string, credentials: S3FrontOptions['credentials']): void {
  const param = (name: string) => target.query.get(name);
  const algorithm = param('X-Amz-Algorithm');
  const credential = param('X-Amz-Credential');
  const date = param('X-Amz-Date');
  const expires = param('X-Amz-Expires');
  const signedHeaders = param('X-Amz-SignedHeaders');
  const signature = param('X-Amz-Signature')!;
  if (!algorithm || !credential || !date || !expires || !signedHeaders) {
    throw queryAuthError(
      'Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.',
    );
  }
  if (algorithm !== 'AWS4-HMAC-SHA256') throw queryAuthError('X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"');
  const [accessKeyId, scopeDate, scopeRegion, service, terminator, ...extra] = credential.split('/');
  const signedAt = parseAmzDate(date);
  if (extra.length || terminator !== 'aws4_request' || service !== 's3' || Number.isNaN(signedAt) || scopeDate !== date.slice(0, 8)) {
    throw queryAuthError(`Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".`);
  }
  if (scopeRegion !== region) throw queryAuthError(`Error parsing the X-Amz-Credential parameter; the region '${scopeRegion}' is wrong; expecting '${region}'`);
  const expiresSeconds = Number(expires);
  if (!Number.isInteger(expiresSeconds) || expiresSeconds < 0) throw queryAuthError('X-Amz-Expires should be a number');
  if (expiresSeconds > MAX_EXPIRES_SECONDS) throw queryAuthError(`X-Amz-Expires must be less than a week (in seconds) that is ${MAX_EXPIRES_SECONDS}`);
  if (accessKeyId !== credentials.accessKeyId) {
    throw new S3Error('InvalidAccessKeyId', 403, 'The AWS Access Key Id you provided does not exist in our records.', { AWSAccessKeyId: accessKeyId ?? '' });
  }
  const now = Date.now();
  const expiresAt = signedAt + expiresSeconds * 1000;
  if (now > expiresAt) {
    throw new S3Error('AccessDenied', 403, 'Request has expired', {
      'X-Amz-Expires': expires,
      Expires: new Date(expiresAt).toISOString().replace(/\.\d{3}/, ''),
      ServerTime: new Date(now).toISOString().replace(/\.\d{3}/, ''),
    });
  }

  const canonicalUri = target.rawPath
    .split('/')
    .map((segment) => uriEncode(decodePath(segment)))
    .join('/');
  const canonicalQuery = target.rawQuery
    .split('&')
    .filter(Boolean)
    .map((pair) => {
      const eq = pair.indexOf('=');
      return eq === -1 ? [decodePath(pair), ''] : [decodePath(pair.slice(0, eq)), decodePath(pair.slice(eq + 1))];
    })
    .filter(([name]) => name !== 'X-Amz-Signature')
    .map(([name, value]) => [uriEncode(name!), uriEncode(value!)] as const)
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
  const headerNames = signedHeaders.split(';');
  const canonicalHeaders = headerNames
    .map((name) => `${name}:${(req.headersDistinct[name] ?? []).map((v) => v.trim().replace(/\s+/g, ' ')).join(',')}\n`)
    .join('');
  const payloadHash = param('X-Amz-Content-Sha256') ?? 'UNSIGNED-PAYLOAD';
  const canonicalRequest = [req.method, canonicalUri, canonicalQuery, canonicalHeaders, signedHeaders, payloadHash].join('\n');
  const scope = `${scopeDate}/${scopeRegion}/s3/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', date, scope, createHash('sha256').update(canonicalRequest, 'utf8').digest('hex')].join('\n');
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${credentials.secretAccessKey}`, scopeDate), scopeRegion), 's3'), 'aws4_request');
  const expected = Buffer.from(hmac(signingKey, stringToSign).toString('hex'));
  const provided = Buffer.from(signature);
  if (expected.length !== provided.length || !timingSafeEqual(expected, provided)) {
    throw new S3Error(
      'SignatureDoesNotMatch',
      403,
      'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
      { AWSAccessKeyId: accessKeyId!, StringToSign: stringToSign, SignatureProvided: signature, CanonicalRequest: canonicalRequest },
    );
  }
}

/** x-amz-* headers a presigner hoisted into the query (metadata, tagging…) reach fauxqs as the headers S3 reads them as. */
function hoistedHeaders(target: Target): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of target.query) {
    const lower = name.toLowerCase();
    // S3 ignores checksums in a presigned URL's query (the SDK signs one of an empty body there by default).
    if (!lower.startsWith('x-amz-') || QUERY_AUTH_PARAMS.has(lower) || lower.startsWith('x-amz-checksum-') || lower === 'x-amz-sdk-checksum-algorithm') continue;
    headers[lower] = value;
  }
  return headers;
}

export async function startS3Front(options: S3FrontOptions): Promise<S3Front> {
  const { region, credentials } = options;
  const upstream = new URL(options.upstream);
  const s3 = new S3Client({ endpoint: options.upstream, region, credentials, forcePathStyle: true, maxAttempts: 1 });
  const sqs = new SQSClient({ endpoint: options.sqsEndpoint, region, credentials, useQueueUrlAsEndpoint: false });
  const reportError = options.onError ?? ((error: unknown) => process.stderr.write(`s3 front: ${(error as Error).message}\n`));
  const state = loadState(options.stateFile);
  let sequence = 0n;

  const save = () => {
    if (!options.stateFile) return;
    writeFileSync(`${options.stateFile}.tmp`, JSON.stringify(state));
    renameSync(`${options.stateFile}.tmp`, options.stateFile);
  };

  const tagsOf = (bucket: string, key: string): Tag[] => state.tags[bucket]?.[key] ?? [];
  function setTags(bucket: string, key: string, tags: Tag[]) {
    if (tags.length > 0) (state.tags[bucket] ??= {})[key] = tags;
    else if (state.tags[bucket]) delete state.tags[bucket][key];
  }

  /** Time-based, so it keeps increasing across restarts; fixed width, so strings compare like the numbers. */
  function nextSequencer(): string {
    const fromClock = BigInt(Date.now()) << 16n;
    sequence = fromClock > sequence ? fromClock : sequence + 1n;
    return sequence.toString(16).toUpperCase().padStart(18, '0');
  }

  function forward(req: IncomingMessage, target: Target, body?: Buffer): Promise<IncomingMessage> {
    const headers: OutgoingHttpHeaders = { ...(target.query.has('X-Amz-Signature') ? hoistedHeaders(target) : {}), ...withoutHopByHop(req.headers) };
    // fauxqs routes a dotted Host virtual-hosted style; it is always addressed path-style here.
    headers.host = upstream.host;
    if (body) headers['content-length'] = String(body.length);
    return new Promise((resolve, reject) => {
      const out = httpRequest({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers }, resolve);
      out.on('error', reject);
      if (body) return out.end(body);
      // Not pipeline(): an upstream that answers before reading the whole body must not take the client's socket with it.
      req.pipe(out);
      req.once('close', () => {
        if (!req.complete) out.destroy();
      });
    });
  }

  function relay(res: ServerResponse, upstreamRes: IncomingMessage) {
    res.writeHead(upstreamRes.statusCode ?? 502, withoutHopByHop(upstreamRes.headers));
    pipeline(upstreamRes, res).catch(() => undefined);
  }

  function reply(res: ServerResponse, status: number, headers: OutgoingHttpHeaders, body: Buffer | string = '') {
    const payload = typeof body === 'string' ? Buffer.from(body) : body;
    res.writeHead(status, { 'x-amz-request-id': requestId(), ...headers, 'content-length': String(payload.length) });
    res.end(payload);
  }

  const requestId = () => randomUUID().replaceAll('-', '').slice(0, 16).toUpperCase();

  async function sendError(req: IncomingMessage, res: ServerResponse, error: S3Error, resource: string) {
    await drain(req);
    if (res.headersSent) return void res.destroy();
    if (req.method === 'HEAD') return reply(res, error.status, {});
    const details = Object.entries(error.details)
      .map(([name, value]) => `<${name}>${escapeXml(value)}</${name}>`)
      .join('');
    const id = requestId();
    reply(
      res,
      error.status,
      { 'content-type': 'application/xml', 'x-amz-request-id': id },
      `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${error.code}</Code><Message>${escapeXml(error.message)}</Message>${details}` +
        `<Resource>${escapeXml(resource)}</Resource><RequestId>${id}</RequestId><HostId>mailroom-s3-front</HostId></Error>`,
    );
  }

  async function assertBucket(bucket: string) {
    await s3.send(new HeadBucketCommand({ Bucket: bucket })).catch((error: { $metadata?: { httpStatusCode?: number } }) => {
      throw error.$metadata?.httpStatusCode === 404 ? noSuchBucket(bucket) : error;
    });
  }

  async function headObject(bucket: string, key: string) {
    try {
      return await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    } catch (error) {
      if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode !== 404) throw error;
      await assertBucket(bucket);
      throw noSuchKey(key);
    }
  }

  async function queueUrl(queueArn: string): Promise<string> {
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: queueArn.split(':').pop()! }));
    return QueueUrl!;
  }

  /** Sends one event record per matching configuration, as S3 does; a failed delivery never fails the write. */
  async function notify(req: IncomingMessage, upstreamRes: IncomingMessage, bucket: string, key: string, eventName: EventName) {
    const configurations = (state.notifications[bucket] ?? []).filter((c) => matches(c, eventName, key));
    if (configurations.length === 0) return;
    try {
      const object: Record<string, unknown> = { key: eventKey(key) };
      if (eventName.startsWith('ObjectCreated:')) {
        const head = await headObject(bucket, key);
        Object.assign(object, { size: head.ContentLength ?? 0, eTag: unquote(head.ETag) });
      }
      object.sequencer = nextSequencer();
      for (const configuration of configurations) {
        const record = {
          eventVersion: '2.1',
          eventSource: 'aws:s3',
          awsRegion: region,
          eventTime: new Date().toISOString(),
          eventName,
          userIdentity: { principalId: `AWS:${credentials.accessKeyId}` },
          requestParameters: { sourceIPAddress: req.socket.remoteAddress ?? '127.0.0.1' },
          responseElements: { 'x-amz-request-id': String(upstreamRes.headers['x-amz-request-id'] ?? requestId()), 'x-amz-id-2': String(upstreamRes.headers['x-amz-id-2'] ?? '') },
          s3: {
            s3SchemaVersion: '1.0',
            configurationId: configuration.id,
            bucket: { name: bucket, ownerIdentity: { principalId: credentials.accessKeyId }, arn: `arn:aws:s3:::${bucket}` },
            object,
          },
        };
        await sqs.send(new SendMessageCommand({ QueueUrl: await queueUrl(configuration.queueArn), MessageBody: JSON.stringify({ Records: [record] }) }));
      }
    } catch (error) {
      reportError(error);
    }
  }

  /** PutObject and CopyObject: tags follow the new object, then its ObjectCreated event. */
  async function putObject(req: IncomingMessage, res: ServerResponse, target: Target) {
    const { bucket, key } = target;
    const tagging = requestTags(req, target);
    const copySource = req.headers['x-amz-copy-source'];
    const upstreamRes = await forward(req, target);
    const body = await readAll(upstreamRes);
    if (upstreamRes.statusCode === 200) {
      if (typeof copySource === 'string' && req.headers['x-amz-tagging-directive'] !== 'REPLACE') {
        const source = decodePath(copySource.split('?')[0]!.replace(/^\//, ''));
        const slash = source.indexOf('/');
        setTags(bucket, key, [...tagsOf(source.slice(0, slash), source.slice(slash + 1))]);
      } else {
        setTags(bucket, key, tagging);
      }
      save();
      await notify(req, upstreamRes, bucket, key, copySource ? 'ObjectCreated:Copy' : 'ObjectCreated:Put');
    }
    reply(res, upstreamRes.statusCode ?? 502, withoutHopByHop(upstreamRes.headers), body);
  }

  async function createMultipartUpload(req: IncomingMessage, res: ServerResponse, target: Target) {
    const tagging = requestTags(req, target);
    const upstreamRes = await forward(req, target);
    const body = await readAll(upstreamRes);
    const uploadId = text(body.toString('utf8'), 'UploadId');
    if (upstreamRes.statusCode === 200 && uploadId && tagging.length > 0) {
      state.uploads[uploadId] = tagging;
      save();
    }
    reply(res, upstreamRes.statusCode ?? 502, withoutHopByHop(upstreamRes.headers), body);
  }

  async function completeMultipartUpload(req: IncomingMessage, res: ServerResponse, target: Target) {
    const { bucket, key } = target;
    const uploadId = target.query.get('uploadId')!;
    const upstreamRes = await forward(req, target);
    // S3's Location names the endpoint the client called, not the one behind it.
    const body = (await readAll(upstreamRes)).toString('utf8').replaceAll(`//${upstream.host}/`, `//${req.headers.host}/`);
    // CompleteMultipartUpload can fail with a 200 whose body is an <Error>.
    if (upstreamRes.statusCode === 200 && !body.includes('<Error>')) {
      setTags(bucket, key, state.uploads[uploadId] ?? []);
      delete state.uploads[uploadId];
      save();
      await notify(req, upstreamRes, bucket, key, 'ObjectCreated:CompleteMultipartUpload');
    }
    reply(res, upstreamRes.statusCode ?? 502, withoutHopByHop(upstreamRes.headers), body);
  }

  async function abortMultipartUpload(req: IncomingMessage, res: ServerResponse, target: Target) {
    const upstreamRes = await forward(req, target);
    if ((upstreamRes.statusCode ?? 500) < 300) {
      delete state.uploads[target.query.get('uploadId')!];
      save();
    }
    relay(res, upstreamRes);
  }

  async function deleteObject(req: IncomingMessage, res: ServerResponse, target: Target) {
    const upstreamRes = await forward(req, target);
    const body = await readAll(upstreamRes);
    if ((upstreamRes.statusCode ?? 500) < 300) {
      setTags(target.bucket, target.key, []);
      save();
      await notify(req, upstreamRes, target.bucket, target.key, 'ObjectRemoved:Delete');
    }
    reply(res, upstreamRes.statusCode ?? 502, withoutHopByHop(upstreamRes.headers), body);
  }

  async function deleteObjects(req: IncomingMessage, res: ServerResponse, target: Target) {
    const request = await readAll(req, MAX_XML_BYTES);
    const keys = elements(request.toString('utf8'), 'Object').map((object) => text(object, 'Key') ?? '');
    const upstreamRes = await forward(req, target, request);
    const body = await readAll(upstreamRes);
    if (upstreamRes.statusCode === 200) {
      const failed = new Set(elements(body.toString('utf8'), 'Error').map((error) => text(error, 'Key')));
      const deleted = keys.filter((key) => !failed.has(key));
      for (const key of deleted) setTags(target.bucket, key, []);
      save();
      for (const key of deleted) await notify(req, upstreamRes, target.bucket, key, 'ObjectRemoved:Delete');
    }
    reply(res, upstreamRes.statusCode ?? 502, withoutHopByHop(upstreamRes.headers), body);
  }

  async function deleteBucket(req: IncomingMessage, res: ServerResponse, target: Target) {
    const upstreamRes = await forward(req, target);
    if ((upstreamRes.statusCode ?? 500) < 300) {
      delete state.notifications[target.bucket];
      delete state.tags[target.bucket];
      save();
    }
    relay(res, upstreamRes);
  }

  async function putNotification(req: IncomingMessage, res: ServerResponse, target: Target) {
    const xml = (await readAll(req, MAX_XML_BYTES)).toString('utf8');
    await assertBucket(target.bucket);
    const configurations = parseNotificationConfiguration(xml);
    const urls = new Map<string, string>();
    for (const { queueArn } of configurations) {
      if (urls.has(queueArn)) continue;
      try {
        urls.set(queueArn, await queueUrl(queueArn));
      } catch {
        if (req.headers['x-amz-skip-destination-validation'] === 'true') continue;
        throw invalidArgument('Unable to validate the following destination configurations', queueArn, 'The destination queue does not exist');
      }
    }
    state.notifications[target.bucket] = configurations;
    save();
    // S3 confirms a new configuration with a test event to each destination; consumers must skip it.
    const testEvent = JSON.stringify({
      Service: 'Amazon S3',
      Event: 's3:TestEvent',
      Time: new Date().toISOString(),
      Bucket: target.bucket,
      RequestId: requestId(),
      HostId: 'mailroom-s3-front',
    });
    for (const url of urls.values()) await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: testEvent })).catch(reportError);
    reply(res, 200, {});
  }

  async function getNotification(res: ServerResponse, target: Target) {
    await assertBucket(target.bucket);
    reply(res, 200, { 'content-type': 'application/xml' }, notificationXml(state.notifications[target.bucket] ?? []));
  }

  async function tagging(req: IncomingMessage, res: ServerResponse, target: Target) {
    const { bucket, key } = target;
    if (req.method === 'PUT') {
      const xml = (await readAll(req, MAX_XML_BYTES)).toString('utf8');
      const tagSet = text(xml, 'TagSet');
      if (tagSet === undefined && !/<TagSet\s*\/>/.test(xml)) throw malformedXml();
      const tags = validateTags(elements(xml, 'Tag').map((tag) => ({ Key: text(tag, 'Key') ?? '', Value: text(tag, 'Value') ?? '' })));
      await headObject(bucket, key);
      setTags(bucket, key, tags);
      save();
      return reply(res, 200, {});
    }
    await headObject(bucket, key);
    if (req.method === 'DELETE') {
      setTags(bucket, key, []);
      save();
      return reply(res, 204, {});
    }
    const tags = tagsOf(bucket, key)
      .map((t) => `<Tag><Key>${escapeXml(t.Key)}</Key><Value>${escapeXml(t.Value)}</Value></Tag>`)
      .join('');
    reply(res, 200, { 'content-type': 'application/xml' }, `<?xml version="1.0" encoding="UTF-8"?>\n<Tagging xmlns="${XMLNS}"><TagSet>${tags}</TagSet></Tagging>`);
  }

  /** CloudFront + OAC: GET/HEAD only, the query dropped, and S3's 403 for anything the bucket policy denies. */
  async function publicObject(req: IncomingMessage, res: ServerResponse, rawPath: string) {
    if (req.method !== 'GET' && req.method !== 'HEAD') throw accessDenied();
    const target = parseTarget(rawPath.slice('/_public'.length));
    const { bucket, key } = target;
    if (!bucket || !key || !tagsOf(bucket, key).some((t) => t.Key === PUBLIC_TAG.key && t.Value === PUBLIC_TAG.value)) throw accessDenied();
    const headers: OutgoingHttpHeaders = { host: upstream.host };
    for (const name of ['range', 'if-match', 'if-none-match', 'if-modified-since', 'if-unmodified-since']) {
      if (req.headers[name] !== undefined) headers[name] = req.headers[name];
    }
    const upstreamRes = await new Promise<IncomingMessage>((resolve, reject) => {
      httpRequest({ host: upstream.hostname, port: upstream.port, method: req.method, path: target.rawPath, headers }, resolve).on('error', reject).end();
    });
    if (upstreamRes.statusCode === 404 || upstreamRes.statusCode === 403) {
      upstreamRes.resume();
      throw accessDenied();
    }
    relay(res, upstreamRes);
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = req.url ?? '/';
    if (url.startsWith('/_public/')) return publicObject(req, res, url.split('?')[0]!);
    const target = parseTarget(url);
    const { bucket, key, query } = target;
    if (query.has('X-Amz-Signature')) verifyPresigned(req, target, region, credentials);
    const size = Number(req.headers['content-length'] ?? 0);
    if (size > UPSTREAM_BODY_LIMIT) {
      throw new S3Error(
        'EntityTooLarge',
        400,
        `The local S3 (fauxqs) takes at most ${UPSTREAM_BODY_LIMIT} bytes in one request (S3 takes 5 GB): upload larger objects in parts (multipart, @aws-sdk/lib-storage).`,
        { ProposedSize: String(size), MaxSizeAllowed: String(UPSTREAM_BODY_LIMIT) },
      );
    }
    if (bucket && !key) {
      if (query.has('notification')) {
        if (req.method === 'PUT') return putNotification(req, res, target);
        if (req.method === 'GET') return getNotification(res, target);
        throw new S3Error('MethodNotAllowed', 405, 'The specified method is not allowed against this resource.');
      }
      if (req.method === 'POST' && query.has('delete')) return deleteObjects(req, res, target);
      if (req.method === 'DELETE') return deleteBucket(req, res, target);
    } else if (bucket) {
      if (query.has('tagging') && ['PUT', 'GET', 'DELETE'].includes(req.method!)) return tagging(req, res, target);
      const uploadId = query.get('uploadId');
      if (req.method === 'PUT' && !uploadId) return putObject(req, res, target);
      if (req.method === 'POST' && query.has('uploads')) return createMultipartUpload(req, res, target);
      if (req.method === 'POST' && uploadId) return completeMultipartUpload(req, res, target);
      if (req.method === 'DELETE' && uploadId) return abortMultipartUpload(req, res, target);
      if (req.method === 'DELETE') return deleteObject(req, res, target);
    }
    relay(res, await forward(req, target));
  }

  const server = createServer((req, res) => {
    handle(req, res)
      .catch(async (error: unknown) => {
        const resource = (req.url ?? '/').split('?')[0]!;
        if (error instanceof S3Error) return sendError(req, res, error, resource);
        reportError(error);
        await sendError(req, res, new S3Error('InternalError', 500, (error as Error).message), resource);
      })
      .catch(reportError);
  });

  await listenOn(server, options.port);
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      s3.destroy();
      sqs.destroy();
    },
  };
}
