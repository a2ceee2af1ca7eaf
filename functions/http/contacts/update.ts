import { httpHandler } from '../../shared/http/handler.js';
import { ContactParams, UpdateContactBody } from '../../schemas/contacts.js';
import { updateContact } from '../../repositories/contacts.js';
import { contactEvents } from '../../domain/contacts.js';
import { publishEvents } from '../../domain/webhook-events.js';
import { recordUnsubscribe } from '../../repositories/stats.js';

export const handler = httpHandler('contacts.update', { params: ContactParams, body: UpdateContactBody }, async ({ params, body, principal, ifMatch }) => {
  const { before, contact } = await updateContact(principal.teamId!, params.id, body, ifMatch);
  if (before.version !== contact.version) await publishEvents(contactEvents(principal.teamId!, before, contact));
  // Counted on the transition only, so repeating the PATCH does not count again.
  if (before.subscribed && !contact.subscribed) await recordUnsubscribe(principal.teamId!, null, contact.updated_at);
  return { status: 200, body: contact, etag: contact.version };
});
