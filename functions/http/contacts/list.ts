import { httpHandler } from '../../shared/http/handler.js';
import { ListContactsQuery } from '../../schemas/contacts.js';
import { listContacts } from '../../repositories/contacts.js';

export const handler = httpHandler('contacts.list', { query: ListContactsQuery }, async ({ query, principal }) => ({
  status: 200,
  body: await listContacts(principal.teamId!, query),
}));
