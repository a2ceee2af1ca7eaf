import { httpHandler } from '../../shared/http/handler.js';
import { CreateListBody } from '../../schemas/lists.js';
import { createList } from '../../domain/lists.js';

export const handler = httpHandler('lists.create', { body: CreateListBody }, async ({ body, principal, setResourceId }) => {
  const list = await createList(principal.teamId!, body);
  setResourceId(list.id);
  return { status: 201, body: list, etag: list.version };
});
