import { idempotentHttpHandler } from '../../shared/http/idempotency.js';
import { toErrorBody } from '../../shared/errors.js';
import { SendBatchBody } from '../../schemas/emails.js';
import { acceptEmails } from '../../domain/send-email.js';

/** All-or-nothing validation; then each email is accepted unless every one of its recipients is suppressed. */
export const handler = idempotentHttpHandler('emails.batch', { body: SendBatchBody }, async ({ body, principal, requestId, admitted, auditAhead }) => {
  const results = await acceptEmails(principal.teamId!, body, { batch: true, admitted, beforeLastWrite: () => auditAhead(202, null) });
  return {
    status: 202,
    body: { data: results.map((r) => (r.ok ? r.email : { id: null, ...toErrorBody(r.error, requestId) })) },
  };
});
