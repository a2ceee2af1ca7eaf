import { httpHandler } from '../../shared/http/handler.js';
import { InboxParams } from '../../schemas/inboxes.js';
import { ListInboxThreadsQuery } from '../../schemas/messages.js';
import { listThreads } from '../../domain/inbox-messages.js';

export const handler = httpHandler('inbox-threads.list', { params: InboxParams, query: ListInboxThreadsQuery }, async ({ params, query, principal }) => ({
  status: 200,
  body: await listThreads(principal, params.id, query),
}));
