import { httpHandler } from '../../shared/http/handler.js';
import { ApiError } from '../../shared/errors.js';
import { IdentifyBody, type IdentifyResult } from '../../schemas/contacts.js';
import { identifyContact } from '../../repositories/contacts.js';
import { findList } from '../../repositories/lists.js';
import { announceContactChange } from '../../domain/contacts.js';
import { subscribeContact } from '../../domain/lists.js';

/**
 * Creates (201) or merges into (200) the team's contact with this email; an identify that changes nothing
 * writes nothing. With `list_id` it also subscribes the contact to that list (checked first, so a wrong list
 * creates nothing) and says how: `list` and the signup campaigns a first subscription enrolled it in.
 */
export const handler = httpHandler('identify.upsert', { body: IdentifyBody }, async ({ body, principal, setResourceId }) => {
  const teamId = principal.teamId!;
  const list = body.list_id ? await findList(teamId, body.list_id) : undefined;
  if (body.list_id && !list) {
    throw new ApiError('validation_error', 'List not found.', { param: 'list_id', errors: [{ field: 'list_id', code: 'not_found', message: 'The team has no list with this id.' }] });
  }
  const { before, contact } = await identifyContact(teamId, body);
  setResourceId(contact.id);
  await announceContactChange(teamId, before, contact);
  const response = { contact_id: contact.id, created: !before };
  if (!list) return { status: before ? 200 : 201, body: { ...response, contact } satisfies IdentifyResult, etag: contact.version };
  const outcome = await subscribeContact(teamId, list, contact, { param: 'list_id' });
  return {
    status: before ? 200 : 201,
    body: {
      ...response,
      contact: outcome.contact,
      list: { id: list.id, status: outcome.member.status, first_subscription: outcome.first_subscription },
      enrolled_campaigns: outcome.enrolled_campaigns,
    } satisfies IdentifyResult,
    etag: outcome.contact.version,
  };
});
