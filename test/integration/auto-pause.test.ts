/**
 * A team whose own bounce rate passes the deployment's limit pauses itself: sends are refused with 403
 * `sending_paused` (saying why) until the root key resumes it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, createTeam, startLocalStack, type LocalStack } from '../support/local-stack.js';
import { expectError, expectEventually } from '../support/http.js';
import { withEnv } from '../support/env.js';

let stack: LocalStack;
beforeAll(async () => {
  stack = await startLocalStack();
});
afterAll(() => stack.stop());

describe('automatic pause', () => {
  it('pauses a team at a 25 % bounce rate over its minimum sends, refuses its sends, and resumes when the root key says so', async () => {
    const { adminKey: key, team } = await createTeam(stack, 'auto-pause');
    const send = (to: string) => call(stack.url, 'POST', '/v1/emails', { key, body: { from: 'a@mailroom.test', to, subject: 'Hello', text: 'x' } });
    // Four sends are this test's minimum (the deployment default is 200); one of them bounces.
    await withEnv({ TEAM_PAUSE_MIN_SENDS: '4' }, async () => {
      const email = (id: string) => call(stack.url, 'GET', `/v1/emails/${id}`, { key });
      // The rate is checked when the bounce is counted: the three good sends are counted first.
      const delivered = await Promise.all([1, 2, 3].map(() => send('success@simulator.amazonses.com')));
      for (const res of delivered) await expectEventually(async () => expect((await email(res.body.id)).body.status).toBe('delivered'), 20_000);
      const bounced = await send('bounce@simulator.amazonses.com');
      await expectEventually(async () => expect((await email(bounced.body.id)).body.status).toBe('bounced'), 20_000);
      const paused = await expectEventually(async () => {
        const res = await call(stack.url, 'GET', `/v1/teams/${team.id}`, { key: stack.rootKey });
        expect(res.body.sending_paused).toMatchObject({ reason: 'bounce_rate', bounce_rate: 0.25, sent: 4 });
        return res.body;
      });
      expect(paused.sending_paused.message).toMatch(/bounce rate .* 25\.00 % of 4 sends/);
    });

    const refused = await send('success@simulator.amazonses.com');
    expectError(refused, 403, 'sending_paused');
    expect(refused.body.error.message).toMatch(/bounce rate/);

    const resumed = await call(stack.url, 'PATCH', `/v1/teams/${team.id}`, { key: stack.rootKey, body: { sending_paused: null } });
    expect(resumed.status).toBe(200);
    expect(resumed.body.sending_paused).toBeNull();
    expect((await send('success@simulator.amazonses.com')).status).toBe(202);
  });

  it('a team under the minimum number of sends is never paused, whatever its rate', async () => {
    const { adminKey: key, team } = await createTeam(stack, 'few-sends');
    const res = await call(stack.url, 'POST', '/v1/emails', { key, body: { from: 'a@mailroom.test', to: 'bounce@simulator.amazonses.com', subject: 'Hello', text: 'x' } });
    // The timeline entry is written after the pause check, so the check has run by the time it shows.
    await expectEventually(async () => expect((await call(stack.url, 'GET', `/v1/emails/${res.body.id}`, { key })).body.events).toContainEqual(expect.objectContaining({ type: 'bounced' })), 20_000);
    expect((await call(stack.url, 'GET', `/v1/teams/${team.id}`, { key: stack.rootKey })).body.sending_paused).toBeNull();
  });
});
