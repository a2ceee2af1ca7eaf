import { httpHandler } from '../../shared/http/handler.js';
import { ApiError } from '../../shared/errors.js';
import { EmailParams } from '../../schemas/emails.js';
import { appendEmailEvent, cancelScheduledEmail, publicEmail } from '../../repositories/emails.js';

export const handler = httpHandler('emails.cancel', { params: EmailParams }, async ({ params, principal }) => {
  const { email, canceled } = await cancelScheduledEmail(principal.teamId!, params.id);
  if (!canceled) {
    throw new ApiError('conflict', `Only scheduled emails can be canceled; this one is ${email.status}.`, { param: 'id' });
  }
  await appendEmailEvent(email.id, { type: 'canceled', at: new Date().toISOString(), recipient: null, detail: {} }, 'canceled');
  return { status: 200, body: publicEmail(email) };
});
