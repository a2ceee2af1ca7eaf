import { httpHandler } from '../../shared/http/handler.js';
import { ApiError } from '../../shared/errors.js';
import { hasScope } from '../../shared/auth/scopes.js';
import { InboxParams, UpdateInboxBody } from '../../schemas/inboxes.js';
import { updateInbox } from '../../repositories/inboxes.js';

export const handler = httpHandler('inboxes.update', { params: InboxParams, body: UpdateInboxBody }, async ({ params, body, principal, ifMatch }) => {
  // Storage is what the team pays for: only its admins decide how much an inbox may keep.
  if (body.storage_quota_bytes !== undefined && !hasScope(principal.scopes, 'admin')) {
    throw new ApiError('insufficient_permissions', 'Changing storage_quota_bytes needs the "admin" scope.', {
      param: 'storage_quota_bytes',
      details: { required_scope: 'admin' },
    });
  }
  const inbox = await updateInbox(principal.teamId!, params.id, body, ifMatch);
  return { status: 200, body: inbox, etag: inbox.version };
});
