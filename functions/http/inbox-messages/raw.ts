import { httpHandler } from '../../shared/http/handler.js';
import { InboxMessageParams } from '../../schemas/messages.js';
import { getRawMessage } from '../../domain/inbox-messages.js';

// JSON with a presigned URL rather than a redirect: clients keep the Authorization header off S3 and see when it expires.
export const handler = httpHandler('inbox-messages.raw', { params: InboxMessageParams }, async ({ params, principal }) => ({
  status: 200,
  body: await getRawMessage(principal, params.id, params.message_id),
}));
