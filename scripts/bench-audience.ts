/**
 * `npm run bench` (fifth part): audience operations measured in-process against the local emulators —
 * identify (new, unchanged, changed), track (no campaign involved; one campaign enrolling a new contact),
 * and the campaign step task — AWS calls by service and handler time, plus Step Functions state transitions
 * for whole enrolments of a 3-step campaign (send → wait 2 days → branch on a property → send) run by the
 * local Step Functions runner on the deployed definition, with waits scaled down.
 */
import { LOCAL_STATE_MACHINE_ARN, startStepFunctions } from '../local/step-functions.js';
import { benchScope, createBenchTeam, dynamoCallCost, invokeRoute, percentile, PRICE, recordAwsCalls, startBenchStack, type AwsCall } from './bench-support.js';

const N = Number(process.env.BENCH_AUDIENCE ?? 100);
/** The campaign step function is deployed with 512 MB (lib/constructs/campaign-engine.ts). */
const STEP_MEMORY_GB = 512 / 1024;

const stack = await startBenchStack('mailroom-bench-audience');
const stepFunctions = await startStepFunctions({ port: 0, timeScale: 86_400 * 20 });
process.env.AWS_ENDPOINT_URL_SFN = stepFunctions.endpoint;
process.env.CAMPAIGN_STATE_MACHINE_ARN = LOCAL_STATE_MACHINE_ARN;
try {
  const calls = await recordAwsCalls();
  const key = await createBenchTeam(stack.rootKey);
  const ok = async (response: Promise<{ statusCode?: number; body?: string }>) => {
    const res = await response;
    if (!res.statusCode || res.statusCode >= 300) throw new Error(`${res.statusCode} ${res.body}`);
    return JSON.parse(res.body!);
  };
  const template = await ok(invokeRoute('templates.create', { key, body: { name: 'Welcome', subject: 'Welcome {{ first_name }}', html: '<p>Hi {{ first_name }}</p>' } }));
  const campaign = await ok(
    invokeRoute('campaigns.create', {
      key,
      body: {
        kind: 'triggered',
        name: 'Onboarding',
        trigger: { event: 'signed_up' },
        steps: [
          { type: 'send', template_id: template.id, from: 'bench@mailroom.test' },
          { type: 'wait', duration: '2d' },
          { type: 'branch', condition: { type: 'property', key: 'plan', op: 'eq', value: 'pro' }, then: 'pro', else: 'exit' },
          { id: 'pro', type: 'send', template_id: template.id, from: 'bench@mailroom.test' },
        ],
      },
    }),
  );
  await ok(invokeRoute('campaigns.launch', { key, path: `/v1/campaigns/${campaign.id}/launch` }));

  interface Phase {
    label: string;
    counts: Map<string, number>;
    times: number[];
  }
  const phases: Phase[] = [];
  const measure = async (label: string, run: (i: number) => Promise<unknown>) => {
    await benchScope.run('warm-up', () => run(-1));
    const phase: Phase = { label, counts: new Map(), times: [] };
    for (let i = 0; i < N; i++) {
      const scope = `${label}#${i}`;
      const start = performance.now();
      await benchScope.run(scope, () => run(i));
      phase.times.push(performance.now() - start);
    }
    for (const call of calls.filter((c: AwsCall) => c.scope?.startsWith(`${label}#`))) {
      const name = `${call.service} ${call.command}`;
      phase.counts.set(name, (phase.counts.get(name) ?? 0) + 1);
    }
    phases.push(phase);
  };
  const stamp = Date.now().toString(36);
  const email = (kind: string, i: number) => `${kind}-${stamp}-${i}@example.com`;

  await measure('identify, new contact', (i) => ok(invokeRoute('identify.upsert', { key, body: { email: email('new', i), first_name: 'Ann', properties: { plan: 'pro' }, tags: ['trial'] } })));
  await measure('identify, nothing changes', (i) => ok(invokeRoute('identify.upsert', { key, body: { email: email('new', i), first_name: 'Ann', properties: { plan: 'pro' }, tags: ['trial'] } })));
  await measure('identify, a property changes', (i) => ok(invokeRoute('identify.upsert', { key, body: { email: email('new', i), properties: { seen: i + 1 } } })));
  await measure('track, no campaign involved', (i) => ok(invokeRoute('events.track', { key, body: { email: email('new', i), event: 'page_viewed', data: { path: '/pricing' } } })));
  const before = stepFunctions.usage();
  const stepCallsBefore = calls.filter((c) => c.scope === undefined).length;
  await measure('track, new contact enrolled in 1 campaign', (i) => ok(invokeRoute('events.track', { key, body: { email: email('enrol', i), event: 'signed_up' } })));
  await stepFunctions.idle();
  const after = stepFunctions.usage();
  const enrolments = after.executions - before.executions;
  const stepCalls = calls.filter((c) => c.scope === undefined).slice(stepCallsBefore);
  // Each enrolment invokes the step task twice: send + wait, then (after the wait) branch + done.
  const invocations = 2 * enrolments;

  const rows = phases.map((phase) => {
    const total = [...phase.counts.values()].reduce((a, b) => a + b, 0);
    const breakdown = [...phase.counts.entries()].sort().map(([name, count]) => `${(count / N).toFixed(1)} ${name}`).join(', ');
    return `| ${phase.label} | ${(total / N).toFixed(1)} | ${breakdown} | ${percentile(phase.times, 50).toFixed(1)} | ${percentile(phase.times, 99).toFixed(1)} |`;
  });
  const stepCounts = new Map<string, number>();
  for (const call of stepCalls) stepCounts.set(`${call.service} ${call.command}`, (stepCounts.get(`${call.service} ${call.command}`) ?? 0) + 1);
  const stepBreakdown = [...stepCounts.entries()].sort().map(([name, count]) => `${(count / invocations).toFixed(1)} ${name}`).join(', ');
  const transitionsPerEnrolment = (after.transitions - before.transitions) / enrolments;
  const stepDynamo = stepCalls.filter((c) => c.service === 'DynamoDB').reduce((sum, c) => sum + dynamoCallCost(c.command), 0) / enrolments;
  const stepOther = (stepCalls.filter((c) => c.service === 'SQS').length * PRICE.sqsRequest + stepCalls.filter((c) => c.service === 'S3').length * PRICE.s3Put) / enrolments;
  const stepLambda = 2 * (PRICE.lambdaRequest + 0.1 * STEP_MEMORY_GB * PRICE.lambdaGbSecondArm);
  const perEnrolment = transitionsPerEnrolment * PRICE.stepFunctionsTransition + stepDynamo + stepOther + stepLambda;
  process.stdout.write(
    [
      `Audience, ${N} operations each (after a warm-up), handlers invoked in-process against the local emulators:`,
      '',
      '| operation | AWS calls | calls breakdown | handler p50 ms | p99 ms |',
      '|---|---|---|---|---|',
      ...rows,
      '',
      `Campaign enrolments (${enrolments}, 3 steps: send → wait 2 days → branch → send, waits scaled): ${transitionsPerEnrolment.toFixed(1)} Step Functions state transitions per enrolment ` +
        `(${(transitionsPerEnrolment / 3).toFixed(1)} per step; 2 to start, 3 per wait, 1 to finish); the step task made ${(stepCalls.length / invocations).toFixed(1)} AWS calls per invocation (${stepBreakdown}).`,
      `Cost per 1,000 enrolments of this campaign, beyond the sends themselves: $${(perEnrolment * 1000).toFixed(4)} (state transitions $${((transitionsPerEnrolment * PRICE.stepFunctionsTransition) * 1000).toFixed(4)}, step task DynamoDB/S3/SQS $${((stepDynamo + stepOther) * 1000).toFixed(4)}, Lambda $${(stepLambda * 1000).toFixed(4)} at 100 ms × 2 invocations).`,
      '',
    ].join('\n'),
  );
} finally {
  await stepFunctions.stop();
  await stack.stop();
}
