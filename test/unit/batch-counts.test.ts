/**
 * In a queue batch, the stats counters are added once per (team, campaign, day) when the batch's records are
 * done, and a team's webhooks are read once; outside a batch both happen at once, as before.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import * as z from 'zod';
import type { Message } from '@aws-sdk/client-sqs';
import { countClaimed, countTokens } from '../../functions/domain/email-stats.js';
import { platformEvent, publishEvents } from '../../functions/domain/webhook-events.js';
import { addToCounters } from '../../functions/repositories/stats.js';
import { allTeamWebhooks } from '../../functions/repositories/webhooks.js';
import { logger } from '../../functions/shared/logger.js';
import { queueConsumer } from '../../functions/shared/queue/consumer.js';
import { openBatch } from '../../functions/shared/queue/batch-scope.js';
import { lambdaContext } from '../../local/lambda.js';
import { toSqsRecord } from '../../local/queue-poller.js';

vi.mock('../../functions/repositories/stats.js', async (original) => ({ ...(await original()), addToCounters: vi.fn(async () => undefined) }));
vi.mock('../../functions/repositories/conversions.js', async (original) => ({ ...(await original()), recordLastSent: vi.fn(async () => undefined) }));
vi.mock('../../functions/repositories/webhooks.js', async (original) => ({ ...(await original()), allTeamWebhooks: vi.fn(async () => []) }));

const AT = '2026-03-02T10:00:00.000Z';
const Outcome = z.object({ email_id: z.string(), team_id: z.string(), campaign: z.string().optional(), counter: z.enum(['sent', 'delivered', 'bounced']), recipients: z.array(z.string()), fail: z.boolean().optional() });
type Outcome = z.infer<typeof Outcome>;

const emailOf = (o: Outcome) => ({
  id: o.email_id,
  team_id: o.team_id,
  tags: (o.campaign ? { mailroom_campaign: o.campaign } : {}) as Record<string, string>,
  recipients: o.recipients.map((email) => ({ email, type: 'to' as const, status: 'sent', reason: null })),
});

/** A consumer that counts what each record says was claimed (as the sender and SES events worker do after their claim). */
const handler = queueConsumer('ses-events', Outcome, async (outcome) => {
  await countClaimed(emailOf(outcome), countTokens(outcome.counter, outcome.recipients), AT);
  if (outcome.fail) throw new Error('failed after counting');
});

const run = (outcomes: Outcome[]) =>
  handler(
    { Records: outcomes.map((o, i) => toSqsRecord({ MessageId: `m${i}`, ReceiptHandle: `r${i}`, Body: JSON.stringify(o) } satisfies Message, { arn: 'arn:aws:sqs:us-east-1:000000000000:ses-events' }, 'us-east-1')) },
    lambdaContext('batch-counts', 30),
  );

const adds = () => vi.mocked(addToCounters).mock.calls.map(([change]) => change);
const delivered = (team: string, i: number, extra: Partial<Outcome> = {}): Outcome => ({ email_id: `em_${team}_${i}`, team_id: team, counter: 'delivered', recipients: [`r${i}@example.com`], ...extra });

beforeEach(() => vi.mocked(addToCounters).mockClear());
afterEach(() => vi.restoreAllMocks());

describe('counters in a queue batch', () => {
  it("N records of one team's day are one ADD of N, after the records are done", async () => {
    const response = await run(Array.from({ length: 10 }, (_, i) => delivered('team_a', i)));
    expect(response.batchItemFailures).toEqual([]);
    expect(adds()).toEqual([{ teamId: 'team_a', campaignId: null, day: '2026-03-02', shardSeed: 'em_team_a_0', counts: { delivered: 10 } }]);
  });

  it('two teams are two ADDs; a campaign is its own sum (its ADD also adds to the team)', async () => {
    await run([delivered('team_a', 0), delivered('team_b', 1), delivered('team_a', 2), delivered('team_a', 3, { campaign: 'cmp_1' }), delivered('team_b', 4, { counter: 'sent', recipients: ['x@example.com', 'y@example.com'] })]);
    expect(adds()).toHaveLength(3);
    expect(adds()).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ teamId: 'team_a', campaignId: null, counts: { delivered: 2 } }),
        expect.objectContaining({ teamId: 'team_a', campaignId: 'cmp_1', counts: { delivered: 1 } }),
        expect.objectContaining({ teamId: 'team_b', campaignId: null, counts: { delivered: 1, sent: 2 } }),
      ]),
    );
  });

  it('records that claimed nothing write nothing', async () => {
    await run([delivered('team_a', 0, { recipients: [] }), delivered('team_a', 1, { recipients: [] })]);
    expect(adds()).toEqual([]);
  });

  it("a failed record's claims are still added (a redelivery would claim nothing)", async () => {
    const response = await run([delivered('team_a', 0), delivered('team_a', 1, { fail: true })]);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm1' }]);
    expect(adds()).toEqual([expect.objectContaining({ counts: { delivered: 2 } })]);
  });

  it('bounces are added at once (the auto-pause check reads them right after)', async () => {
    await run([delivered('team_a', 0, { counter: 'bounced' }), delivered('team_a', 1), delivered('team_a', 2, { counter: 'bounced' })]);
    expect(adds().map((change) => change.counts)).toEqual([{ bounced: 1 }, { bounced: 1 }, { delivered: 1 }]);
  });

  it('a failed flush leaves the records succeeded and logs the numbers it could not add', async () => {
    vi.mocked(addToCounters).mockRejectedValueOnce(new Error('throttled'));
    const logged = vi.spyOn(logger, 'error');
    const response = await run([delivered('team_a', 0), delivered('team_a', 1)]);
    expect(response.batchItemFailures).toEqual([]);
    expect(logged).toHaveBeenCalledWith(expect.stringMatching(/stats counts lost/), expect.objectContaining({ team_id: 'team_a', day: '2026-03-02', counts: { delivered: 2 } }));
  });

  it('outside a batch each outcome is added at once', async () => {
    await countClaimed(emailOf(delivered('team_a', 0)), countTokens('delivered', ['a@example.com']), AT);
    expect(adds()).toEqual([expect.objectContaining({ teamId: 'team_a', shardSeed: 'em_team_a_0', counts: { delivered: 1 } })]);
  });
});

describe("a team's webhooks in a queue batch", () => {
  const event = (team: string, i: number) => platformEvent({ team_id: team, type: 'email.delivered', timestamp: AT, seed: `e${i}`, data: {} });
  const publisher = queueConsumer('ses-events', z.object({ team_id: z.string(), i: z.number() }), ({ team_id, i }) => publishEvents([event(team_id, i)]));

  it('are read once per team per batch, and again outside one', async () => {
    vi.mocked(allTeamWebhooks).mockClear();
    const records = [['team_a', 0], ['team_a', 1], ['team_b', 2], ['team_a', 3]].map(([team_id, i], n) =>
      toSqsRecord({ MessageId: `w${n}`, ReceiptHandle: `w${n}`, Body: JSON.stringify({ team_id, i }) }, { arn: 'arn:aws:sqs:us-east-1:000000000000:ses-events' }, 'us-east-1'),
    );
    await publisher({ Records: records }, lambdaContext('batch-webhooks', 30));
    expect(vi.mocked(allTeamWebhooks).mock.calls.map(([team]) => team).sort()).toEqual(['team_a', 'team_b']);
    await publishEvents([event('team_a', 4)]);
    await publishEvents([event('team_a', 5)]);
    expect(allTeamWebhooks).toHaveBeenCalledTimes(4);
  });
});

describe('a batch memo', () => {
  it('keeps a load that succeeded and forgets one that failed, so the next record tries again', async () => {
    const batch = openBatch();
    const load = vi.fn().mockRejectedValueOnce(new Error('throttled')).mockResolvedValue(['hook']);
    await expect(batch.memo('webhooks:team', load)).rejects.toThrow('throttled');
    await expect(batch.memo('webhooks:team', load)).resolves.toEqual(['hook']);
    await expect(batch.memo('webhooks:team', load)).resolves.toEqual(['hook']);
    expect(load).toHaveBeenCalledTimes(2);
  });
});
