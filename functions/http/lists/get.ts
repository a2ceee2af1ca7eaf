import { httpHandler } from '../../shared/http/handler.js';
import { ListParams } from '../../schemas/lists.js';
import { getTeamList, publicList } from '../../repositories/lists.js';

export const handler = httpHandler('lists.get', { params: ListParams }, async ({ params, principal }) => {
  const list = publicList(await getTeamList(principal.teamId!, params.id));
  return { status: 200, body: list, etag: list.version };
});
