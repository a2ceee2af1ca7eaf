import { idempotentHttpHandler } from '../../shared/http/idempotency.js';
import { CreateListBody } from '../../schemas/lists.js';
import { createList } from '../../domain/lists.js';

export const handler = idempotentHttpHandler('lists.create', { body: CreateListBody }, async ({ body, principal, setResourceId }) => {
  const list = await createList(principal.teamId!, body);
  setResourceId(list.id);
  return { status: 201, body: list, etag: list.version };
});
