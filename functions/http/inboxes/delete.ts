import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { httpHandler } from '../../shared/http/handler.js';
import { sqs } from '../../shared/clients.js';
import { config } from '../../shared/config.js';
import { InboxParams } from '../../schemas/inboxes.js';
import { deleteInbox } from '../../repositories/inboxes.js';
import { queueByName } from '../../../lib/queues.js';
import type { TeamPurgeMessage } from '../../workers/team-purge.js';

const purgeQueue = queueByName('team-purge');

/** Answers once the inbox is gone for the API (address free, key revoked); its stored mail is purged in the background. */
export const handler = httpHandler('inboxes.delete', { params: InboxParams }, async ({ params, principal }) => {
  await deleteInbox(principal.teamId!, params.id);
  const job: TeamPurgeMessage = { team_id: principal.teamId!, inbox_id: params.id };
  await sqs.send(new SendMessageCommand({ QueueUrl: config.queueUrl(purgeQueue.urlEnvVar), MessageBody: JSON.stringify(job) }));
  return { status: 200, body: { id: params.id, deleted: true } };
});
