import { httpHandler } from '../../shared/http/handler.js';
import { ListInboxesQuery } from '../../schemas/inboxes.js';
import { listTeamInboxes } from '../../repositories/inboxes.js';

export const handler = httpHandler('inboxes.list', { query: ListInboxesQuery }, async ({ query, principal }) => ({
  status: 200,
  body: await listTeamInboxes(principal.teamId!, query),
}));
