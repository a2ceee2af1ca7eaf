/**
 * Sweeps a deleted team. The delete route already revoked every key it could list; this pass runs after
 * the index has caught up and revokes anything created in the meantime, closes the team's inboxes (their
 * addresses stop receiving and are free again, and their mail is deleted), releases its domains (SES identities and name claims)
 * so another team can add them, empties and deletes its storage buckets (in the background, like a forced
 * delete), and deletes its webhooks (deliveries still queued for them are dropped).
 */
import * as z from 'zod';
import { queueConsumer } from '../shared/queue/consumer.js';
import { logger } from '../shared/logger.js';
import { ApiError } from '../shared/errors.js';
import { revokeAllTeamApiKeys } from '../repositories/api-keys.js';
import { listTeamDomains } from '../repositories/domains.js';
import { deleteInbox, listTeamInboxes } from '../repositories/inboxes.js';
import { deleteDomain } from '../domain/sending-domains.js';
import { purgeInboxMail } from '../domain/purge-inbox.js';
import { allTeamWebhooks, deleteWebhook } from '../repositories/webhooks.js';
import { listBuckets, markBucketDeleting } from '../repositories/storage.js';
import { queueSweep } from '../domain/storage.js';

/** Long enough for the team's key index (eventually consistent) to show keys created just before deletion. */
export const TEAM_PURGE_DELAY_SECONDS = 5;

/** A whole team, or (with `inbox_id`) the mail of one deleted inbox. */
export const TeamPurgeMessage = z.object({ team_id: z.string().min(1), inbox_id: z.string().min(1).optional() });
export type TeamPurgeMessage = z.infer<typeof TeamPurgeMessage>;

export const handler = queueConsumer('team-purge', TeamPurgeMessage, async ({ team_id, inbox_id }) => {
  if (inbox_id) {
    await purgeInboxMail(inbox_id);
    return;
  }
  const revoked = await revokeAllTeamApiKeys(team_id);
  let closed = 0;
  let inboxCursor: string | undefined;
  do {
    const page = await listTeamInboxes(team_id, { limit: 100, cursor: inboxCursor });
    for (const inbox of page.data) {
      // The list index can lag behind a delete: an inbox already closed is simply done.
      const done = await deleteInbox(team_id, inbox.id).then(
        () => true,
        (error) => {
          if (error instanceof ApiError && error.code === 'not_found') return false;
          throw error;
        },
      );
      if (done) closed++;
      await purgeInboxMail(inbox.id);
    }
    inboxCursor = page.next_cursor ?? undefined;
  } while (inboxCursor);
  let released = 0;
  let cursor: string | undefined;
  do {
    const page = await listTeamDomains(team_id, { limit: 100, cursor });
    for (const domain of page.data) {
      await deleteDomain(team_id, domain.id);
      released++;
    }
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  let emptied = 0;
  let bucketCursor: string | undefined;
  do {
    const page = await listBuckets(team_id, { limit: 100, cursor: bucketCursor });
    for (const bucket of page.data) {
      await markBucketDeleting(team_id, bucket.slug);
      await queueSweep({ team_id, slug: bucket.slug, action: 'empty' });
      emptied++;
    }
    bucketCursor = page.next_cursor ?? undefined;
  } while (bucketCursor);
  const webhooks = await allTeamWebhooks(team_id);
  await Promise.all(webhooks.map((webhook) => deleteWebhook(team_id, webhook.id).catch((error) => {
    if (!(error instanceof ApiError && error.code === 'not_found')) throw error;
  })));
  logger.info('team purged', { team_id, revoked_keys: revoked, closed_inboxes: closed, released_domains: released, emptied_buckets: emptied, deleted_webhooks: webhooks.length });
});
