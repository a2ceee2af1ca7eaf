import { httpHandler } from '../../shared/http/handler.js';
import { CreateSuppressionBody } from '../../schemas/suppressions.js';
import { addSuppression, getSuppression } from '../../repositories/suppressions.js';

export const handler = httpHandler('suppressions.create', { body: CreateSuppressionBody }, async ({ body, principal, setResourceId }) => {
  const added = await addSuppression(principal.teamId!, { email: body.email, reason: 'manual', source_email_id: null });
  setResourceId(body.email);
  return { status: added ? 201 : 200, body: await getSuppression(principal.teamId!, body.email) };
});
