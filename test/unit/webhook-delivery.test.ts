import { Webhook as StandardWebhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { retryDelaySeconds, signatureHeader } from '../../functions/domain/webhook-delivery.js';
import { wantsEvent } from '../../functions/domain/webhook-events.js';
import { platformEvent } from '../../functions/domain/webhook-events.js';
import type { Webhook } from '../../functions/schemas/webhooks.js';
import { DEFAULT_WEBHOOK_RETRY_SCHEDULE } from '../../functions/shared/config.js';

const SCHEDULE = [...DEFAULT_WEBHOOK_RETRY_SCHEDULE];

describe('webhook retry schedule', () => {
  it('waits 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h after attempts 1–7, each within ±10 % jitter', () => {
    expect(SCHEDULE).toEqual([5, 300, 1800, 7200, 18000, 36000, 36000]);
    for (let attempt = 1; attempt <= 7; attempt++) {
      for (let i = 0; i < 50; i++) {
        const delay = retryDelaySeconds(attempt, SCHEDULE);
        expect(delay).toBeGreaterThanOrEqual(Math.floor(SCHEDULE[attempt - 1]! * 0.9));
        expect(delay).toBeLessThanOrEqual(Math.ceil(SCHEDULE[attempt - 1]! * 1.1));
      }
    }
  });

  it('spans about a day in 8 attempts and never asks SQS for more than its 12 h visibility cap', () => {
    const total = SCHEDULE.reduce((sum, _, i) => sum + retryDelaySeconds(i + 1, SCHEDULE), 0);
    expect(total / 3600).toBeGreaterThan(24);
    expect(total / 3600).toBeLessThan(31);
    expect(retryDelaySeconds(7, [50_000])).toBeLessThanOrEqual(43_000);
  });

  it('spreads retries of many deliveries instead of retrying them all at the same second', () => {
    const delays = new Set(Array.from({ length: 50 }, () => retryDelaySeconds(4, SCHEDULE)));
    expect(delays.size).toBeGreaterThan(10);
  });
});

describe('webhook filters', () => {
  const webhook = (changes: Partial<Webhook>): Webhook => ({
    id: 'wh_01jz0000000000000000000000',
    url: 'https://hooks.example.com',
    event_types: null,
    inbox_ids: null,
    description: null,
    enabled: true,
    disabled_reason: null,
    failing_since: null,
    secret_rotated_at: null,
    created_at: '2026-01-01T00:00:00.000Z',
    updated_at: '2026-01-01T00:00:00.000Z',
    version: 1,
    ...changes,
  });
  const event = (type: 'email.sent' | 'message.received', inboxId: string | null) =>
    platformEvent({ team_id: 'team_x', type, timestamp: '2026-01-01T00:00:00.000Z', inbox_id: inboxId, seed: 'x', data: {} });

  it('takes every event without filters, only listed types with them, and nothing while disabled', () => {
    expect(wantsEvent(webhook({}), event('email.sent', null))).toBe(true);
    expect(wantsEvent(webhook({ event_types: ['message.received'] }), event('email.sent', null))).toBe(false);
    expect(wantsEvent(webhook({ event_types: ['message.received'] }), event('message.received', 'ib_a'))).toBe(true);
    expect(wantsEvent(webhook({ enabled: false }), event('email.sent', null))).toBe(false);
  });

  it('with an inbox filter, takes only events about those inboxes', () => {
    const filtered = webhook({ inbox_ids: ['ib_a'] });
    expect(wantsEvent(filtered, event('message.received', 'ib_a'))).toBe(true);
    expect(wantsEvent(filtered, event('message.received', 'ib_b'))).toBe(false);
    expect(wantsEvent(filtered, event('email.sent', null))).toBe(false);
  });

  it('derives the event id from what happened: the same event published twice has one id', () => {
    expect(event('email.sent', null).id).toBe(event('email.sent', null).id);
    expect(event('email.sent', null).id).not.toBe(event('message.received', null).id);
  });
});

describe('signatures', () => {
  it('signs with every current secret; each verifies on its own', () => {
    const secrets = ['whsec_' + Buffer.alloc(32, 1).toString('base64'), 'whsec_' + Buffer.alloc(32, 2).toString('base64')];
    const at = new Date();
    const body = JSON.stringify({ type: 'email.sent', timestamp: at.toISOString(), data: {} });
    const header = signatureHeader(secrets, 'evt_1', at, body);
    expect(header.split(' ')).toHaveLength(2);
    const headers = { 'webhook-id': 'evt_1', 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': header };
    for (const secret of secrets) expect(new StandardWebhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => new StandardWebhook('whsec_' + Buffer.alloc(32, 3).toString('base64')).verify(body, headers)).toThrow();
  });
});
