/**
 * `npm run bench`: what the platform layer costs per request, measured against the local emulators.
 * For each scenario: DynamoDB round trips (counted on the SDK client every repository uses), the time
 * those calls took, and the handler's total time warm and in-process. Total minus DynamoDB time is what
 * the middleware stack itself adds (auth hashing, validation, envelope, logging).
 */
import { randomBytes } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { generateRootToken } from '../functions/shared/auth/api-key-token.js';
import { functionEnvironment, provision, startEmulators } from '../local/runtime.js';
import { lambdaContext, loadHandler } from '../local/lambda.js';
import { handlerFile, routeById, type RouteId } from '../lib/routes.js';

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 200);

const emulators = await startEmulators({ ports: { dynamodb: 0, sqsS3: 0, ses: 0 } });
try {
  const { queues } = await provision(emulators.endpoints, { tableName: 'mailroom-bench', queuePrefix: 'mailroom-bench' });
  Object.assign(
    process.env,
    functionEnvironment({
      endpoints: emulators.endpoints,
      tableName: 'mailroom-bench',
      queues,
      pepper: randomBytes(32).toString('base64url'),
      rootKey: generateRootToken(),
    }),
    { POWERTOOLS_LOG_LEVEL: 'SILENT', RATE_LIMIT_PER_KEY: '1000000', RATE_LIMIT_PER_TEAM: '1000000' },
  );

  const { dynamodb } = await import('../functions/shared/clients.js');
  const calls: { command: string; start: number; end: number }[] = [];
  dynamodb.middlewareStack.add(
    (next, context) => async (args) => {
      const started = performance.now();
      try {
        return await next(args);
      } finally {
        calls.push({ command: String(context.commandName), start: started, end: performance.now() });
      }
    },
    { step: 'initialize', name: 'benchCallCounter' },
  );

  const invoke = async (routeId: RouteId, options: { key?: string; body?: unknown; path?: string; headers?: Record<string, string> } = {}) => {
    const route = routeById(routeId);
    const handler = await loadHandler<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>(handlerFile(route));
    const path = options.path ?? route.path;
    const headers: Record<string, string> = { ...options.headers };
    if (options.key) headers.authorization = `Bearer ${options.key}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const event = {
      version: '2.0',
      routeKey: `${route.method} ${route.path}`,
      rawPath: path,
      rawQueryString: '',
      headers,
      pathParameters: /\{id\}/.test(route.path) ? { id: path.split('/').pop()! } : undefined,
      requestContext: { http: { method: route.method, path, sourceIp: '127.0.0.1', protocol: 'HTTP/1.1', userAgent: 'bench' }, requestId: 'bench' },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      isBase64Encoded: false,
    } as unknown as APIGatewayProxyEventV2;
    return handler(event, lambdaContext(`bench-${route.id}`, 10));
  };

  const rootKey = process.env.MAILROOM_ROOT_KEY!;
  const created = await invoke('teams.create', { key: rootKey, body: { slug: `bench-${Date.now()}`, name: 'Bench' } });
  const teamKey = JSON.parse(created.body!).api_key.key as string;
  const someKey = JSON.parse((await invoke('api-keys.create', { key: teamKey, body: { name: 'probe' } })).body!);

  const scenarios: { name: string; run: (i: number) => Promise<APIGatewayProxyStructuredResultV2> }[] = [
    { name: 'GET /health (public)', run: () => invoke('health.get') },
    { name: 'GET /v1/me (team key)', run: () => invoke('me.get', { key: teamKey }) },
    { name: 'GET /v1/api-keys/{id} (team key)', run: () => invoke('api-keys.get', { key: teamKey, path: `/v1/api-keys/${someKey.id}` }) },
    { name: 'GET /v1/teams (root key)', run: () => invoke('teams.list', { key: rootKey }) },
    { name: 'PATCH /v1/api-keys/{id}', run: (i) => invoke('api-keys.update', { key: teamKey, path: `/v1/api-keys/${someKey.id}`, body: { name: `probe ${i}` } }) },
    { name: 'POST /v1/api-keys (no Idempotency-Key)', run: (i) => invoke('api-keys.create', { key: teamKey, body: { name: `k${i}` } }) },
    { name: 'POST /v1/api-keys (new Idempotency-Key)', run: (i) => invoke('api-keys.create', { key: teamKey, body: { name: `i${i}` }, headers: { 'idempotency-key': `bench-${i}-${Date.now()}` } }) },
    { name: 'POST /v1/api-keys (replayed Idempotency-Key)', run: () => invoke('api-keys.create', { key: teamKey, body: { name: 'same' }, headers: { 'idempotency-key': 'bench-replay' } }) },
  ];

  /** Wall time during which at least one DynamoDB call was in flight (parallel calls overlap). */
  const busyTime = (intervals: { start: number; end: number }[]) => {
    let busy = 0;
    let cursor = -Infinity;
    for (const { start, end } of [...intervals].sort((a, b) => a.start - b.start)) {
      if (end <= cursor) continue;
      busy += end - Math.max(start, cursor);
      cursor = end;
    }
    return busy;
  };
  const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((values.length * p) / 100))]!;
  const rows: string[] = [];
  for (const scenario of scenarios) {
    for (let i = 0; i < 20; i++) await scenario.run(-i - 1);
    const totals: number[] = [];
    const overheads: number[] = [];
    let roundTrips = 0;
    const commands = new Map<string, number>();
    for (let i = 0; i < ITERATIONS; i++) {
      calls.length = 0;
      const started = performance.now();
      const response = await scenario.run(i);
      const total = performance.now() - started;
      if ((response.statusCode ?? 500) >= 400) throw new Error(`${scenario.name}: ${response.statusCode} ${response.body}`);
      const dynamoMs = busyTime(calls);
      totals.push(total);
      overheads.push(Math.max(0, total - dynamoMs));
      roundTrips += calls.length;
      for (const c of calls) commands.set(c.command, (commands.get(c.command) ?? 0) + 1);
    }
    const mix = [...commands].map(([c, n]) => `${c.replace('Command', '')}×${(n / ITERATIONS).toFixed(2)}`).join(' ');
    rows.push(
      `| ${scenario.name} | ${(roundTrips / ITERATIONS).toFixed(2)} | ${mix} | ${percentile(totals, 50).toFixed(2)} | ${percentile(totals, 95).toFixed(2)} | ${percentile(overheads, 50).toFixed(2)} |`,
    );
  }
  process.stdout.write(
    [
      `Platform layer, ${ITERATIONS} warm in-process invocations per scenario against DynamoDB Local:`,
      '',
      '| scenario | DynamoDB calls / request | calls | handler p50 ms | handler p95 ms | middleware p50 ms (total − time waiting on DynamoDB) |',
      '|---|---|---|---|---|---|',
      ...rows,
      '',
    ].join('\n'),
  );
} finally {
  await emulators.stop();
}
