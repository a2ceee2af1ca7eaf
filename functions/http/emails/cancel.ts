import { httpHandler } from '../../shared/http/handler.js';
import { ApiError } from '../../shared/errors.js';
import { EmailParams } from '../../schemas/emails.js';
import { appendEmailEvent, cancelScheduledEmail, publicEmail } from '../../repositories/emails.js';
import { refundSendQuota } from '../../repositories/send-quotas.js';

export const handler = httpHandler('emails.cancel', { params: EmailParams }, async ({ params, principal }) => {
  const { email, canceled } = await cancelScheduledEmail(principal.teamId!, params.id);
  if (!canceled) {
    throw new ApiError('conflict', `Only scheduled emails can be canceled; this one is ${email.status}.`, { param: 'id' });
  }
  await appendEmailEvent(email.id, { type: 'canceled', at: new Date().toISOString(), recipient: null, detail: {} }, 'canceled');
  // Never sent, so it no longer counts against the team's quota.
  await refundSendQuota(email.team_id, email.recipients.filter((r) => r.status === 'queued').length, new Date(email.created_at));
  return { status: 200, body: publicEmail(email) };
});
