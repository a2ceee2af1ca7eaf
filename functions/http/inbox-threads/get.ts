import { httpHandler } from '../../shared/http/handler.js';
import { InboxThreadParams } from '../../schemas/messages.js';
import { getThread } from '../../domain/inbox-messages.js';

export const handler = httpHandler('inbox-threads.get', { params: InboxThreadParams }, async ({ params, principal }) => ({
  status: 200,
  body: await getThread(principal, params.id, params.thread_id),
}));
