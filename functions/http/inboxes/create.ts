import { idempotentHttpHandler } from '../../shared/http/idempotency.js';
import { CreateInboxBody } from '../../schemas/inboxes.js';
import { openInbox } from '../../domain/inboxes.js';

export const handler = idempotentHttpHandler('inboxes.create', { body: CreateInboxBody }, async ({ body, principal, setResourceId }) => {
  const { inbox, apiKey } = await openInbox(principal.teamId!, body);
  setResourceId(inbox.id);
  return { status: 201, body: { ...inbox, api_key: apiKey }, etag: inbox.version };
});
