import { httpHandler } from '../../shared/http/handler.js';
import { ListParams, type ListDeleted } from '../../schemas/lists.js';
import { deleteList } from '../../domain/lists.js';

/** The list disappears at once; its memberships are removed in the background (see domain/lists.ts). */
export const handler = httpHandler('lists.delete', { params: ListParams }, async ({ params, principal }) => {
  await deleteList(principal.teamId!, params.id);
  return { status: 200, body: { id: params.id, deleted: true } satisfies ListDeleted };
});
