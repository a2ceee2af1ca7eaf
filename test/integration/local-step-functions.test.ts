/**
 * The offline Step Functions runtime keeps what AWS keeps: a campaign enrolment sleeping in its Wait state
 * when the dev server stops is resumed by the next start, for the time that was left.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { call, createTeam, endpoints, startLocalStack, type LocalStack } from '../support/local-stack.js';
import { expectEventually } from '../support/http.js';

const stateFile = join(mkdtempSync(join(tmpdir(), 'mailroom-sfn-')), 'step-functions.json');
let second: LocalStack | undefined;
afterAll(async () => {
  await second?.stop();
});

const subjectsTo = async (email: string) => {
  const store = (await (await fetch(`${endpoints().ses}/store`)).json()) as { emails: { subject: string; destination: { to: string[] } }[] };
  return store.emails.filter((m) => m.destination.to.some((to) => to.includes(email))).map((m) => m.subject);
};

it('resumes a sleeping enrolment after a restart and finishes it', async () => {
  const first = await startLocalStack({ stepFunctionsStateFile: stateFile });
  const { adminKey: key } = await createTeam(first, 'sfn-restart');
  const template = async (subject: string) => (await call(first.url, 'POST', '/v1/templates', { key, body: { name: subject, subject, html: `<p>${subject}</p>` } })).body.id as string;
  const [before, after] = [await template('Before the restart'), await template('After the restart')];
  const campaign = await call(first.url, 'POST', '/v1/campaigns', {
    key,
    body: { kind: 'triggered', name: 'Survives', trigger: { event: 'joined' }, steps: [{ type: 'send', template_id: before, from: 'x@mailroom.test' }, { type: 'wait', duration: '3d' }, { type: 'send', template_id: after, from: 'x@mailroom.test' }] },
  });
  await call(first.url, 'POST', `/v1/campaigns/${campaign.body.id}/launch`, { key });
  const email = `restart-${Date.now()}@example.com`;
  const tracked = await call(first.url, 'POST', '/v1/events', { key, body: { email, event: 'joined' } });
  expect(tracked.body.enrolled_campaigns).toEqual(['Survives']);
  await expectEventually(async () => expect(await subjectsTo(email)).toEqual(['Before the restart']));
  await expectEventually(async () => expect(JSON.parse(readFileSync(stateFile, 'utf8'))).toHaveLength(1));
  await first.stop();

  second = await startLocalStack({ stepFunctionsStateFile: stateFile });
  await expectEventually(async () => expect((await subjectsTo(email)).sort()).toEqual(['After the restart', 'Before the restart']), 15_000);
  const enrollments = await call(second.url, 'GET', `/v1/campaigns/${campaign.body.id}/enrollments`, { key });
  await expectEventually(async () => {
    const res = await call(second!.url, 'GET', `/v1/campaigns/${campaign.body.id}/enrollments`, { key });
    expect(res.body.data[0]).toMatchObject({ status: 'completed' });
  });
  expect(enrollments.status).toBe(200);
  expect(JSON.parse(readFileSync(stateFile, 'utf8'))).toEqual([]);
}, 40_000);
