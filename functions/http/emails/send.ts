import { idempotentHttpHandler } from '../../shared/http/idempotency.js';
import { SendEmailBody } from '../../schemas/emails.js';
import { acceptEmails } from '../../domain/send-email.js';

export const handler = idempotentHttpHandler('emails.send', { body: SendEmailBody }, async ({ body, principal, setResourceId, admitted, auditAhead }) => {
  const [result] = await acceptEmails(principal.teamId!, [body], { admitted, beforeLastWrite: ([id]) => auditAhead(202, id!) });
  if (!result!.ok) throw result!.error;
  setResourceId(result!.email.id);
  return { status: 202, body: result!.email };
});
