import { httpHandler } from '../../shared/http/handler.js';
import { ContactParams, DeleteContactQuery, type ContactDeleted } from '../../schemas/contacts.js';
import { deleteContact } from '../../repositories/contacts.js';

/** `?erase=true` is a GDPR erasure: nothing about the person is kept but a logged hash of the address. */
export const handler = httpHandler('contacts.delete', { params: ContactParams, query: DeleteContactQuery }, async ({ params, query, principal }) => {
  await deleteContact(principal.teamId!, params.id, query.erase ? { keyId: principal.keyId } : undefined);
  return { status: 200, body: { id: params.id, deleted: true, erased: query.erase } satisfies ContactDeleted };
});
