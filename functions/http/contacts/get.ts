import { httpHandler } from '../../shared/http/handler.js';
import { ContactParams } from '../../schemas/contacts.js';
import { getTeamContact } from '../../repositories/contacts.js';

export const handler = httpHandler('contacts.get', { params: ContactParams }, async ({ params, principal }) => {
  const contact = await getTeamContact(principal.teamId!, params.id);
  return { status: 200, body: contact, etag: contact.version };
});
