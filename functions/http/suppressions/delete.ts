import { httpHandler } from '../../shared/http/handler.js';
import { SuppressionParams } from '../../schemas/suppressions.js';
import { removeSuppression } from '../../repositories/suppressions.js';

export const handler = httpHandler('suppressions.delete', { params: SuppressionParams }, async ({ params, principal, setResourceId }) => {
  await removeSuppression(principal.teamId!, params.email);
  setResourceId(params.email);
  return { status: 200, body: { email: params.email, deleted: true } };
});
