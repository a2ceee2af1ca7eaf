import { httpHandler } from '../../shared/http/handler.js';
import { EmailParams } from '../../schemas/emails.js';
import { emailTimeline, getTeamEmail, publicEmail } from '../../repositories/emails.js';

export const handler = httpHandler('emails.get', { params: EmailParams }, async ({ params, principal }) => {
  const email = await getTeamEmail(principal.teamId!, params.id);
  return { status: 200, body: { ...publicEmail(email), events: await emailTimeline(email) } };
});
