import { httpHandler } from '../../shared/http/handler.js';
import { ContactEventsParams, ListContactEventsQuery } from '../../schemas/events.js';
import { getTeamContact } from '../../repositories/contacts.js';
import { listContactEvents } from '../../repositories/enrollments.js';

/** The contact's timeline of tracked events, newest first. */
export const handler = httpHandler('contact-events.list', { params: ContactEventsParams, query: ListContactEventsQuery }, async ({ params, query, principal }) => {
  await getTeamContact(principal.teamId!, params.id);
  return { status: 200, body: await listContactEvents(params.id, query) };
});
