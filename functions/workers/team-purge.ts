/**
 * Sweeps a deleted team. The delete route already revoked every key it could list; this pass runs after
 * the index has caught up and revokes anything created in the meantime. Later features purge their data here.
 */
import * as z from 'zod';
import { queueConsumer } from '../shared/queue/consumer.js';
import { logger } from '../shared/logger.js';
import { revokeAllTeamApiKeys } from '../repositories/api-keys.js';

/** Long enough for the team's key index (eventually consistent) to show keys created just before deletion. */
export const TEAM_PURGE_DELAY_SECONDS = 5;

export const TeamPurgeMessage = z.object({ team_id: z.string().min(1) });
export type TeamPurgeMessage = z.infer<typeof TeamPurgeMessage>;

export const handler = queueConsumer('team-purge', TeamPurgeMessage, async ({ team_id }) => {
  const revoked = await revokeAllTeamApiKeys(team_id);
  logger.info('team purged', { team_id, revoked_keys: revoked });
});
