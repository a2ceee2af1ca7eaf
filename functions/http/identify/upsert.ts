import { httpHandler } from '../../shared/http/handler.js';
import { IdentifyBody } from '../../schemas/contacts.js';
import { identifyContact } from '../../repositories/contacts.js';
import { contactEvents } from '../../domain/contacts.js';
import { publishEvents } from '../../domain/webhook-events.js';

/** Creates (201) or merges into (200) the team's contact with this email; an identify that changes nothing writes nothing. */
export const handler = httpHandler('identify.upsert', { body: IdentifyBody }, async ({ body, principal, setResourceId }) => {
  const { before, contact } = await identifyContact(principal.teamId!, body);
  setResourceId(contact.id);
  if (!before || before.version !== contact.version) await publishEvents(contactEvents(principal.teamId!, before, contact));
  return { status: before ? 200 : 201, body: { contact_id: contact.id, created: !before, contact }, etag: contact.version };
});
