import { describe, expect, it } from 'vitest';
import { nextLocalTime } from '../../functions/domain/campaign-runner.js';
import { executionName } from '../../functions/domain/enrolments.js';
import { CreateCampaignBody, Duration } from '../../functions/schemas/campaigns.js';
import { campaignStateMachineDefinition, STEP_TASK_STATE } from '../../lib/campaign-state-machine.js';

describe('durations', () => {
  it.each([
    ['2d', 172_800],
    ['12h', 43_200],
    ['1d12h', 129_600],
    ['30m', 1_800],
    ['45s', 45],
    ['1h30m15s', 5_415],
  ])('%s is %i seconds', (text, seconds) => expect(Duration.parse(text)).toBe(seconds));

  it.each(['', '0s', '2 days', 'd', '366d', '1.5h', '2h1d'])('refuses %j', (text) => expect(Duration.safeParse(text).success).toBe(false));
});

describe('wait until a time of day', () => {
  const at = (iso: string) => Date.parse(iso);
  it('is later today when the time has not passed, else tomorrow (UTC)', () => {
    expect(new Date(nextLocalTime('09:00', 'UTC', at('2026-11-22T08:00:00Z'))).toISOString()).toBe('2026-11-22T09:00:00.000Z');
    expect(new Date(nextLocalTime('09:00', 'UTC', at('2026-11-22T09:00:00Z'))).toISOString()).toBe('2026-11-23T09:00:00.000Z');
  });

  it("follows the contact's time zone, across a DST change", () => {
    // Berlin is UTC+1 in winter: 09:00 there is 08:00 UTC.
    expect(new Date(nextLocalTime('09:00', 'Europe/Berlin', at('2026-11-22T10:00:00Z'))).toISOString()).toBe('2026-11-23T08:00:00.000Z');
    // New York leaves DST on 2026-11-01: the day before 09:00 is 13:00 UTC, the day after 14:00 UTC.
    expect(new Date(nextLocalTime('09:00', 'America/New_York', at('2026-10-31T14:00:00Z'))).toISOString()).toBe('2026-11-01T14:00:00.000Z');
    // Across midnight UTC: Tokyo (UTC+9) 07:30 is 22:30 UTC the day before.
    expect(new Date(nextLocalTime('07:30', 'Asia/Tokyo', at('2026-11-22T12:00:00Z'))).toISOString()).toBe('2026-11-22T22:30:00.000Z');
  });
});

describe('campaign definitions', () => {
  const base = { kind: 'triggered', name: 'x', trigger: { event: 'signed_up' } };
  const send = { type: 'send', template_id: 'tpl_01jz0000000000000000000000', from: 'a@example.com' };

  it('name steps by position unless given an id, and refuse duplicate ids, "exit" as an id and unknown targets', () => {
    const ok = CreateCampaignBody.safeParse({ ...base, steps: [send, { id: 'w', type: 'wait', duration: '1d' }, { type: 'branch', condition: { type: 'tag', tag: 'vip' }, then: 'w', else: 'exit' }] });
    expect(ok.success).toBe(true);
    const bad = CreateCampaignBody.safeParse({
      ...base,
      steps: [
        { ...send, id: 'a' },
        { ...send, id: 'a' },
        { id: 'exit', type: 'exit' },
        { type: 'wait_for_event', event: 'x', timeout: '1d', on_timeout: 'missing' },
      ],
    });
    expect(bad.success).toBe(false);
    const paths = bad.error!.issues.map((i) => i.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['steps.1.id', 'steps.2.id', 'steps.3.on_timeout']));
  });

  it('refuse a loop of steps without a wait (it would mail at once, again and again), allow one with a wait', () => {
    const loop = CreateCampaignBody.safeParse({ ...base, steps: [{ ...send, id: 'a' }, { type: 'branch', condition: { type: 'tag', tag: 'vip' }, then: 'a', else: 'exit' }] });
    expect(loop.success).toBe(false);
    expect(loop.error!.issues[0]!.message).toContain('a → step_2 → a loop without a wait');
    const paced = CreateCampaignBody.safeParse({
      ...base,
      steps: [{ ...send, id: 'a' }, { type: 'wait', duration: '7d' }, { type: 'branch', condition: { type: 'tag', tag: 'vip' }, then: 'a', else: 'exit' }],
    });
    expect(paced.success).toBe(true);
    expect(CreateCampaignBody.safeParse({ ...base, steps: [{ type: 'wait_until', time: '09:00', timezone: 'Europe/Pariss' }] }).success).toBe(false);
  });

  it('bound condition trees and check operator values', () => {
    const deep = { type: 'not', condition: { type: 'not', condition: { type: 'not', condition: { type: 'not', condition: { type: 'not', condition: { type: 'tag', tag: 'a' } } } } } };
    const branch = (condition: object) => CreateCampaignBody.safeParse({ ...base, steps: [{ type: 'branch', condition, then: 'exit', else: 'exit' }] });
    expect(branch(deep).success).toBe(false);
    expect(branch({ type: 'property', key: 'plan', op: 'eq' }).success).toBe(false);
    expect(branch({ type: 'property', key: 'plan', op: 'exists', value: 1 }).success).toBe(false);
    expect(branch({ type: 'property', key: 'address.city', op: 'eq', value: 'Berlin' }).success).toBe(true);
  });
});

describe('the campaign state machine', () => {
  const definition = campaignStateMachineDefinition('arn:aws:lambda:eu-west-1:1:function:step');
  type State = { Type: string; Next?: string; Default?: string; Choices?: { Next: string }[]; Catch?: { Next: string }[] };
  const states = definition.States as Record<string, State>;

  it('is a closed graph: every target exists, every state is reachable, and only Done and Failed end it', () => {
    const targets = (state: State) => [state.Next, state.Default, ...(state.Choices ?? []).map((c) => c.Next), ...(state.Catch ?? []).map((c) => c.Next)].filter(Boolean) as string[];
    for (const state of Object.values(states)) for (const target of targets(state)) expect(states[target], target).toBeDefined();
    const reached = new Set([definition.StartAt]);
    for (const name of reached) for (const target of targets(states[name]!)) reached.add(target);
    expect([...reached].sort()).toEqual(Object.keys(states).sort());
    expect(Object.entries(states).filter(([, state]) => targets(state).length === 0).map(([name]) => name).sort()).toEqual(['Done', 'Failed']);
    expect(states[STEP_TASK_STATE]!.Catch?.[0]?.Next).toBe('RecordFailure');
  });

  it('names executions within Step Functions limits, one name per run and execution', () => {
    const ids = { campaign_id: 'cmp_01jz0000000000000000000000', contact_id: 'ct_01jz0000000000000000000000' };
    const name = executionName({ ...ids, run: 12, seq: 3 });
    expect(name).toMatch(/^12-3-[0-9a-f]{40}$/);
    const others = [executionName({ ...ids, run: 12, seq: 4 }), executionName({ ...ids, run: 13, seq: 3 }), executionName({ ...ids, contact_id: 'ct_01jz0000000000000000000001', run: 12, seq: 3 })];
    expect(new Set([name, ...others]).size).toBe(4);
  });
});
