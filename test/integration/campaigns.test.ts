/**
 * Triggered campaigns end to end: POST /v1/events enrols, the local Step Functions runner executes the
 * deployed state machine definition with waits scaled (a day per 4 s), and the mail SES captured is
 * what each contact should have got.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, createTeam, endpoints, startLocalStack, type LocalStack } from '../support/local-stack.js';
import { DeleteCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../../functions/shared/clients.js';
import { unsubscribeToken } from '../../functions/domain/unsubscribe.js';
import { expectError, expectEventually, sleep } from '../support/http.js';

/**
 * Not the usual second: each test acts (checks the first mail, unsubscribes, converts, pauses…) between a send and
 * the end of the wait after it, so the wait must outlast the send's way through the queues on a busy machine.
 */
const DAY_MS = 4000;

let stack: LocalStack;
beforeAll(async () => {
  stack = await startLocalStack({ campaignDayMs: DAY_MS });
});
afterAll(async () => {
  await stack?.stop();
});

const FROM = 'Campaigns <news@mailroom.test>';
let unique = 0;
const address = (name: string) => `${name}-${process.pid}-${Date.now().toString(36)}-${unique++}@example.com`;

interface CapturedMail {
  subject: string;
  destination: { to: string[] };
  body: { html?: string; text?: string };
}
async function mailTo(email: string): Promise<CapturedMail[]> {
  const store = (await (await fetch(`${endpoints().ses}/store`)).json()) as { emails: CapturedMail[] };
  return store.emails.filter((m) => m.destination.to.some((to) => to.includes(email)));
}
async function subjectsTo(email: string): Promise<string[]> {
  return (await mailTo(email)).map((m) => m.subject);
}

async function template(key: string, subject: string): Promise<string> {
  const res = await call(stack.url, 'POST', '/v1/templates', { key, body: { name: subject, subject, html: `<p>${subject} for {{ first_name }}</p>` } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id;
}

async function launchedCampaign(key: string, body: object): Promise<{ id: string; name: string }> {
  const created = await call(stack.url, 'POST', '/v1/campaigns', { key, body });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const launched = await call(stack.url, 'POST', `/v1/campaigns/${created.body.id}/launch`, { key });
  expect(launched.status, JSON.stringify(launched.body)).toBe(200);
  expect(launched.body.status).toBe('active');
  return { id: created.body.id, name: created.body.name };
}

async function enrollment(key: string, campaignId: string, contactId: string) {
  const res = await call(stack.url, 'GET', `/v1/campaigns/${campaignId}/enrollments?limit=100`, { key });
  expect(res.status).toBe(200);
  return (res.body.data as { contact_id: string; status: string; exit_reason: string | null; run: number; current_step: string | null }[]).find((e) => e.contact_id === contactId);
}

const track = (key: string, email: string, event: string, data?: object) => call(stack.url, 'POST', '/v1/events', { key, body: { email, event, ...(data && { data }) } });

// Each test has a team of its own and mostly waits on scaled campaign waits: they run side by side.
describe.concurrent('triggered campaigns', () => {
  it('send → wait 2 days → branch on a property → send: each contact gets the mail of its branch', async () => {
    const { adminKey: key } = await createTeam(stack, 'campaign-branch');
    const [welcome, pro, free] = await Promise.all([template(key, 'Welcome'), template(key, 'Pro tips'), template(key, 'Free tips')]);
    const campaign = await launchedCampaign(key, {
      kind: 'triggered',
      name: 'Onboarding',
      trigger: { event: 'signed_up' },
      steps: [
        { id: 'welcome', type: 'send', template_id: welcome, from: FROM },
        { type: 'wait', duration: '2d' },
        { type: 'branch', condition: { type: 'property', key: 'plan', op: 'eq', value: 'pro' }, then: 'pro', else: 'free' },
        { id: 'pro', type: 'send', template_id: pro, from: FROM },
        { type: 'exit' },
        { id: 'free', type: 'send', template_id: free, from: FROM },
      ],
    });
    const ann = address('ann');
    const bob = address('bob');
    await call(stack.url, 'POST', '/v1/identify', { key, body: { email: ann, first_name: 'Ann', properties: { plan: 'pro' } } });

    const first = await track(key, ann, 'signed_up', { via: 'web' });
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body).toMatchObject({ event: 'signed_up', contact_created: false, enrollments_created: 1, enrolled_campaigns: ['Onboarding'], skipped_campaigns: [] });
    // Tracking creates a contact it does not know yet.
    const second = await track(key, bob, 'signed_up');
    expect(second.body).toMatchObject({ contact_created: true, enrolled_campaigns: ['Onboarding'] });
    // Already enrolled: skipped, not enrolled twice.
    const again = await track(key, ann, 'signed_up');
    expect(again.body).toMatchObject({ enrollments_created: 0, enrolled_campaigns: [], skipped_campaigns: ['Onboarding'] });

    await expectEventually(async () => {
      expect(await subjectsTo(ann)).toEqual(['Welcome']);
      expect(await subjectsTo(bob)).toEqual(['Welcome']);
    });
    expect((await mailTo(ann))[0]!.body.html).toContain('Welcome for Ann');
    // The second mail waits two (scaled) days.
    expect(await subjectsTo(ann)).toEqual(['Welcome']);
    await expectEventually(async () => {
      expect((await subjectsTo(ann)).sort()).toEqual(['Pro tips', 'Welcome']);
      expect((await subjectsTo(bob)).sort()).toEqual(['Free tips', 'Welcome']);
    }, 2 * DAY_MS + 15_000);
    await expectEventually(async () => {
      expect(await enrollment(key, campaign.id, first.body.contact_id)).toMatchObject({ status: 'completed', exit_reason: null, run: 1 });
      expect(await enrollment(key, campaign.id, second.body.contact_id)).toMatchObject({ status: 'completed', current_step: 'free' });
    });
    // The events are on the contact's timeline.
    const timeline = await call(stack.url, 'GET', `/v1/contacts/${first.body.contact_id}/events`, { key });
    expect(timeline.body.data.map((e: { event: string }) => e.event)).toEqual(['signed_up', 'signed_up']);
    expect(timeline.body.data[1].data).toEqual({ via: 'web' });
    const contact = await call(stack.url, 'GET', `/v1/contacts/${first.body.contact_id}`, { key });
    expect(contact.body.event_summary.signed_up.count).toBe(2);
    // No mail is sent twice.
    await sleep(1500);
    expect((await subjectsTo(ann)).length).toBe(2);
  }, 60_000);

  it("the campaign mail's one-click unsubscribe stops the sequence before the next send and counts for the campaign", async () => {
    const { adminKey: key, team } = await createTeam(stack, 'campaign-unsub');
    const [one, two] = await Promise.all([template(key, 'Step one'), template(key, 'Step two')]);
    const campaign = await launchedCampaign(key, {
      kind: 'triggered',
      name: 'Drip',
      trigger: { event: 'trial_started' },
      steps: [
        { type: 'send', template_id: one, from: FROM },
        { type: 'wait', duration: '3d' },
        { type: 'send', template_id: two, from: FROM },
      ],
    });
    const email = address('carol');
    const tracked = await track(key, email, 'trial_started');
    await expectEventually(async () => expect(await subjectsTo(email)).toEqual(['Step one']));
    const sent = await call(stack.url, 'GET', `/v1/emails?tag=mailroom_campaign:${campaign.id}`, { key });
    expect(sent.body.data).toHaveLength(1);
    const token = await unsubscribeToken({ team_id: team.id, email, email_id: sent.body.data[0].id });
    const unsubscribed = await call(stack.url, 'POST', `/v1/unsubscribe/${token}`, { body: 'List-Unsubscribe=One-Click', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(unsubscribed.status, JSON.stringify(unsubscribed.body)).toBe(200);
    expect((await call(stack.url, 'GET', `/v1/contacts/${tracked.body.contact_id}`, { key })).body.subscribed).toBe(false);
    await expectEventually(async () => expect(await enrollment(key, campaign.id, tracked.body.contact_id)).toMatchObject({ status: 'exited', exit_reason: 'unsubscribed' }), 3 * DAY_MS + 15_000);
    expect(await subjectsTo(email)).toEqual(['Step one']);
    const stats = await call(stack.url, 'GET', `/v1/campaigns/${campaign.id}/stats`, { key });
    expect(stats.body.totals).toMatchObject({ sent: 1, unsubscribed: 1 });
  }, 60_000);

  it('the goal event ends the enrolment as converted', async () => {
    const { adminKey: key } = await createTeam(stack, 'campaign-goal');
    const [one, two] = await Promise.all([template(key, 'Try it'), template(key, 'Still there?')]);
    const campaign = await launchedCampaign(key, {
      kind: 'triggered',
      name: 'Convert',
      trigger: { event: 'cart_abandoned' },
      goal_event: 'purchase',
      steps: [
        { type: 'send', template_id: one, from: FROM },
        { type: 'wait', duration: '3d' },
        { type: 'send', template_id: two, from: FROM },
      ],
    });
    const email = address('dave');
    const tracked = await track(key, email, 'cart_abandoned');
    await expectEventually(async () => expect(await subjectsTo(email)).toEqual(['Try it']));
    const goal = await track(key, email, 'purchase', { order: 'A1' });
    expect(goal.body).toMatchObject({ converted_campaigns: ['Convert'] });
    expect(await enrollment(key, campaign.id, tracked.body.contact_id)).toMatchObject({ status: 'exited', exit_reason: 'converted' });
    await sleep(3 * DAY_MS + 500);
    expect(await subjectsTo(email)).toEqual(['Try it']);
  }, 60_000);

  it('wait_for_event continues when the event comes and takes the timeout path when it does not', async () => {
    const { adminKey: key } = await createTeam(stack, 'campaign-wait-event');
    const [hello, thanks, nudge] = await Promise.all([template(key, 'Hello'), template(key, 'Thanks for activating'), template(key, 'Need help?')]);
    const campaign = await launchedCampaign(key, {
      kind: 'triggered',
      name: 'Activation',
      trigger: { event: 'signed_up' },
      steps: [
        { type: 'send', template_id: hello, from: FROM },
        { id: 'await', type: 'wait_for_event', event: 'activated', timeout: '2d', on_timeout: 'nudge' },
        { type: 'send', template_id: thanks, from: FROM },
        { type: 'exit' },
        { id: 'nudge', type: 'send', template_id: nudge, from: FROM },
      ],
    });
    const eager = address('eager');
    const idle = address('idle');
    const [a, b] = await Promise.all([track(key, eager, 'signed_up'), track(key, idle, 'signed_up')]);
    await expectEventually(async () => expect(await enrollment(key, campaign.id, a.body.contact_id)).toMatchObject({ status: 'active', current_step: 'await' }));
    const activated = await track(key, eager, 'activated');
    expect(activated.body.resumed_enrollments).toBe(1);
    await expectEventually(async () => {
      expect((await subjectsTo(eager)).sort()).toEqual(['Hello', 'Thanks for activating']);
      expect((await subjectsTo(idle)).sort()).toEqual(['Hello', 'Need help?']);
    }, 2 * DAY_MS + 15_000);
    await expectEventually(async () => {
      expect(await enrollment(key, campaign.id, a.body.contact_id)).toMatchObject({ status: 'completed' });
      expect(await enrollment(key, campaign.id, b.body.contact_id)).toMatchObject({ status: 'completed', current_step: 'nudge' });
    });
    // The timer of the resumed wait fires later and must not send anything more.
    await sleep(2 * DAY_MS + 500);
    expect((await subjectsTo(eager)).length).toBe(2);
  }, 60_000);

  it('editing a running campaign keeps running enrolments on their version; pausing exits them at their next step', async () => {
    const { adminKey: key } = await createTeam(stack, 'campaign-version');
    const [first, old, replaced] = await Promise.all([template(key, 'First'), template(key, 'Old second'), template(key, 'New second')]);
    const campaign = await launchedCampaign(key, {
      kind: 'triggered',
      name: 'Versioned',
      trigger: { event: 'joined' },
      steps: [
        { type: 'send', template_id: first, from: FROM },
        { type: 'wait', duration: '2d' },
        { type: 'send', template_id: old, from: FROM },
      ],
    });
    const early = address('early');
    await track(key, early, 'joined');
    await expectEventually(async () => expect(await subjectsTo(early)).toEqual(['First']));
    const edited = await call(stack.url, 'PATCH', `/v1/campaigns/${campaign.id}`, {
      key,
      body: { steps: [{ type: 'send', template_id: first, from: FROM }, { type: 'wait', duration: '2d' }, { type: 'send', template_id: replaced, from: FROM }] },
    });
    expect(edited.status, JSON.stringify(edited.body)).toBe(200);
    expect(edited.body.definition_version).toBe(2);
    const late = address('late');
    await track(key, late, 'joined');
    await expectEventually(async () => {
      expect((await subjectsTo(early)).sort()).toEqual(['First', 'Old second']);
      expect((await subjectsTo(late)).sort()).toEqual(['First', 'New second']);
    }, 2 * DAY_MS + 15_000);

    const paused = address('paused');
    const tracked = await track(key, paused, 'joined');
    await expectEventually(async () => expect(await subjectsTo(paused)).toEqual(['First']));
    expect((await call(stack.url, 'POST', `/v1/campaigns/${campaign.id}/pause`, { key })).body.status).toBe('paused');
    await expectEventually(async () => expect(await enrollment(key, campaign.id, tracked.body.contact_id)).toMatchObject({ status: 'exited', exit_reason: 'campaign_paused' }), 2 * DAY_MS + 15_000);
    expect(await subjectsTo(paused)).toEqual(['First']);
    // A paused campaign enrols nobody.
    expect((await track(key, address('nobody'), 'joined')).body.enrolled_campaigns).toEqual([]);
  }, 60_000);

  it('re-entry lets a contact that finished enrol again; without it the contact is skipped', async () => {
    const { adminKey: key } = await createTeam(stack, 'campaign-reentry');
    const receipt = await template(key, 'Receipt');
    const once = await launchedCampaign(key, { kind: 'triggered', name: 'Once', trigger: { event: 'ordered' }, steps: [{ type: 'send', template_id: receipt, from: FROM }] });
    const every = await launchedCampaign(key, { kind: 'triggered', name: 'Every time', trigger: { event: 'ordered' }, allow_reentry: true, steps: [{ type: 'send', template_id: receipt, from: FROM }] });
    const email = address('repeat');
    const first = await track(key, email, 'ordered');
    expect(first.body.enrolled_campaigns).toEqual(['Every time', 'Once']);
    await expectEventually(async () => {
      expect(await enrollment(key, once.id, first.body.contact_id)).toMatchObject({ status: 'completed' });
      expect(await enrollment(key, every.id, first.body.contact_id)).toMatchObject({ status: 'completed' });
    });
    const second = await track(key, email, 'ordered');
    expect(second.body).toMatchObject({ enrolled_campaigns: ['Every time'], skipped_campaigns: ['Once'] });
    await expectEventually(async () => expect(await enrollment(key, every.id, first.body.contact_id)).toMatchObject({ status: 'completed', run: 2 }));
    await expectEventually(async () => expect((await subjectsTo(email)).length).toBe(3));
  }, 30_000);
});

describe('failures', () => {
  it('a step that keeps failing ends the enrolment as exited with reason error, after the retries', async () => {
    const { adminKey: key } = await createTeam(stack, 'campaign-failing');
    const one = await template(key, 'Never sent');
    const campaign = await launchedCampaign(key, { kind: 'triggered', name: 'Broken', trigger: { event: 'joined' }, steps: [{ type: 'send', template_id: one, from: FROM }] });
    // The definition the enrolment runs on disappears: every attempt of the step task throws.
    await documentClient.send(new DeleteCommand({ TableName: process.env.TABLE_NAME, Key: { pk: `CAMPAIGN#${campaign.id}`, sk: 'DEFINITION#000001' } }));
    const email = address('failing');
    const tracked = await track(key, email, 'joined');
    await expectEventually(async () => {
      const enrolled = await enrollment(key, campaign.id, tracked.body.contact_id);
      expect(enrolled).toMatchObject({ status: 'exited', exit_reason: 'error' });
      expect((enrolled as unknown as { error: string }).error).toContain('no definition version 1');
    }, 15_000);
    expect(await subjectsTo(email)).toEqual([]);
  }, 30_000);
});

describe('erasure', () => {
  it('erasing a contact removes its events, enrolments and memberships, and its waiting run ends without sending', async () => {
    const { adminKey: key } = await createTeam(stack, 'campaign-erase');
    const [one, two] = await Promise.all([template(key, 'Before erasure'), template(key, 'After erasure')]);
    const campaign = await launchedCampaign(key, {
      kind: 'triggered',
      name: 'Erased',
      trigger: { event: 'joined' },
      steps: [{ type: 'send', template_id: one, from: FROM }, { type: 'wait', duration: '2d' }, { type: 'send', template_id: two, from: FROM }],
    });
    const list = await call(stack.url, 'POST', '/v1/lists', { key, body: { name: 'Newsletter' } });
    const email = address('erase');
    await call(stack.url, 'POST', '/v1/identify', { key, body: { email, list_id: list.body.id } });
    const tracked = await track(key, email, 'joined');
    await expectEventually(async () => expect(await subjectsTo(email)).toEqual(['Before erasure']));
    const id = tracked.body.contact_id;
    const { Items } = await documentClient.send(new QueryCommand({ TableName: process.env.TABLE_NAME, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': `CONTACT#${id}` } }));
    expect(Items!.map((i) => String(i.sk).split('#')[0]).sort()).toEqual(['CONTACT', 'ENROL', 'EVENT', 'LIST']);

    const erased = await call(stack.url, 'DELETE', `/v1/contacts/${id}?erase=true`, { key });
    expect(erased.body).toMatchObject({ deleted: true, erased: true });
    const after = await documentClient.send(new QueryCommand({ TableName: process.env.TABLE_NAME, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': `CONTACT#${id}` } }));
    expect(after.Items).toEqual([]);
    expect((await call(stack.url, 'GET', `/v1/campaigns/${campaign.id}/enrollments`, { key })).body.data).toEqual([]);
    expect((await call(stack.url, 'GET', `/v1/lists/${list.body.id}/contacts`, { key })).body.data).toEqual([]);
    await sleep(2 * DAY_MS + 1000);
    expect(await subjectsTo(email)).toEqual(['Before erasure']);
  }, 30_000);
});

describe('campaign API rules', () => {
  it('refuses launching a campaign that sends a missing template, and lifecycle changes that do not apply', async () => {
    const [{ adminKey: key }, other] = await Promise.all([createTeam(stack, 'campaign-rules'), createTeam(stack, 'campaign-other')]);
    const foreign = await call(stack.url, 'POST', '/v1/templates', { key: other.adminKey, body: { name: 'x', subject: 'x', html: 'x' } });
    const created = await call(stack.url, 'POST', '/v1/campaigns', {
      key,
      body: { kind: 'triggered', name: 'Broken', trigger: { event: 'x' }, steps: [{ type: 'send', template_id: foreign.body.id, from: FROM }] },
    });
    expect(created.status).toBe(201);
    const launch = await call(stack.url, 'POST', `/v1/campaigns/${created.body.id}/launch`, { key });
    expectError(launch, 422, 'validation_error');
    expect(launch.body.error.param).toBe('steps.0.template_id');
    expectError(await call(stack.url, 'POST', `/v1/campaigns/${created.body.id}/resume`, { key }), 409, 'conflict');
    // Another team sees nothing.
    expectError(await call(stack.url, 'GET', `/v1/campaigns/${created.body.id}`, { key: other.adminKey }), 404, 'not_found');
    // A branch to a step that does not exist is refused at create.
    const badTarget = await call(stack.url, 'POST', '/v1/campaigns', {
      key,
      body: { kind: 'triggered', name: 'Bad', trigger: { event: 'x' }, steps: [{ type: 'branch', condition: { type: 'tag', tag: 'vip' }, then: 'nowhere', else: 'exit' }] },
    });
    expectError(badTarget, 422, 'validation_error');
    expect(badTarget.body.error.param).toBe('steps.0.then');
  });
});
