import { httpHandler } from '../../shared/http/handler.js';
import { ListMembersQuery, ListParams } from '../../schemas/lists.js';
import { getTeamList, listMembers } from '../../repositories/lists.js';

export const handler = httpHandler('lists.members', { params: ListParams, query: ListMembersQuery }, async ({ params, query, principal }) => {
  await getTeamList(principal.teamId!, params.id);
  return { status: 200, body: await listMembers(params.id, query) };
});
