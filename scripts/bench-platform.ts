/**
 * `npm run bench`: what the platform layer costs per request, measured against the local emulators.
 * For each scenario: DynamoDB round trips (counted on the SDK client every repository uses), the time
 * those calls took, and the handler's total time warm and in-process. Total minus DynamoDB time is what
 * the middleware stack itself adds (auth hashing, validation, envelope, logging).
 */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { busyTime, createBenchTeam, invokeRoute as invoke, percentile, recordAwsCalls, startBenchStack } from './bench-support.js';

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 200);

const stack = await startBenchStack('mailroom-bench-platform');
try {
  const calls = await recordAwsCalls();
  const rootKey = stack.rootKey;
  const teamKey = await createBenchTeam(rootKey);
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
      const dynamoMs = busyTime(calls.filter((c) => c.service === 'DynamoDB'));
      totals.push(total);
      overheads.push(Math.max(0, total - dynamoMs));
      const dynamo = calls.filter((c) => c.service === 'DynamoDB');
      roundTrips += dynamo.length;
      for (const c of dynamo) commands.set(c.command, (commands.get(c.command) ?? 0) + 1);
    }
    const mix = [...commands].map(([c, n]) => `${c}×${(n / ITERATIONS).toFixed(2)}`).join(' ');
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
  await stack.stop();
}
