import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { httpHandler } from '../../shared/http/handler.js';
import { sqs } from '../../shared/clients.js';
import { config } from '../../shared/config.js';
import { TeamParams } from '../../schemas/teams.js';
import { deleteTeam } from '../../repositories/teams.js';
import { revokeAllTeamApiKeys } from '../../repositories/api-keys.js';
import { queueByName } from '../../../lib/queues.js';
import { TEAM_PURGE_DELAY_SECONDS, type TeamPurgeMessage } from '../../workers/team-purge.js';

const purgeQueue = queueByName('team-purge');

/** Tombstones the team at once (its keys stop working now) and leaves the sweep of its data to a worker. */
export const handler = httpHandler('teams.delete', { params: TeamParams }, async ({ params }) => {
  await deleteTeam(params.id);
  const revoked = await revokeAllTeamApiKeys(params.id);
  const message: TeamPurgeMessage = { team_id: params.id };
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: config.queueUrl(purgeQueue.urlEnvVar),
      MessageBody: JSON.stringify(message),
      DelaySeconds: TEAM_PURGE_DELAY_SECONDS,
    }),
  );
  return { status: 200, body: { id: params.id, deleted: true, revoked_keys: revoked } };
});
