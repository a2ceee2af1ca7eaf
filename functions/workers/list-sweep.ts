/**
 * Works through a deleted list's memberships, a page per message (the next page is queued before this one is
 * acknowledged): each membership is deleted and the list id taken out of its contact's `lists`, in one
 * transaction per member. Removed memberships leave the index, so every pass starts from the beginning; once
 * none is left, one more pass a few seconds later catches a subscription that raced the delete, then the list
 * item goes. Every step can run twice: a membership already gone is skipped.
 */
import * as z from 'zod';
import { queueConsumer } from '../shared/queue/consumer.js';
import { logger } from '../shared/logger.js';
import { findList, membershipsToSweep, removeList, removeMembership } from '../repositories/lists.js';
import { queueListSweep } from '../domain/lists.js';

const SweepMessage = z.object({ team_id: z.string().min(1), list_id: z.string().min(1), settled: z.boolean().optional() });

const PAGE = 200;
/** Members removed at once (each is a read and a transaction). */
const CONCURRENCY = 10;
/** Longer than the index usually lags behind a write. */
const SETTLE_SECONDS = 5;

export const handler = queueConsumer('list-sweep', SweepMessage, async (job) => {
  const list = await findList(job.team_id, job.list_id, { includeDeleting: true });
  if (list?.status !== 'deleting') return;
  const members = await membershipsToSweep(job.list_id, PAGE);
  for (let i = 0; i < members.length; i += CONCURRENCY) {
    await Promise.all(members.slice(i, i + CONCURRENCY).map((member) => removeMembership(job.team_id, member)));
  }
  if (members.length) return queueListSweep({ team_id: job.team_id, list_id: job.list_id });
  if (!job.settled) return queueListSweep({ team_id: job.team_id, list_id: job.list_id, settled: true }, SETTLE_SECONDS);
  await removeList(job.list_id);
  logger.info('list deleted with its memberships', { team_id: job.team_id, list_id: job.list_id });
});
