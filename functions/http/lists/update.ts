import { httpHandler } from '../../shared/http/handler.js';
import { ListParams, UpdateListBody } from '../../schemas/lists.js';
import { updateList } from '../../domain/lists.js';

export const handler = httpHandler('lists.update', { params: ListParams, body: UpdateListBody }, async ({ params, body, principal, ifMatch }) => {
  const list = await updateList(principal.teamId!, params.id, body, ifMatch);
  return { status: 200, body: list, etag: list.version };
});
