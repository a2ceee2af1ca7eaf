import { httpHandler } from '../../shared/http/handler.js';
import { ContactParams, UpdateContactBody } from '../../schemas/contacts.js';
import { updateContact } from '../../repositories/contacts.js';
import { announceContactChange } from '../../domain/contacts.js';

export const handler = httpHandler('contacts.update', { params: ContactParams, body: UpdateContactBody }, async ({ params, body, principal, ifMatch }) => {
  const { before, contact } = await updateContact(principal.teamId!, params.id, body, ifMatch);
  await announceContactChange(principal.teamId!, before, contact);
  return { status: 200, body: contact, etag: contact.version };
});
