import { httpHandler } from '../../shared/http/handler.js';
import { EmailParams } from '../../schemas/emails.js';
import { cancelEmail } from '../../domain/send-email.js';

export const handler = httpHandler('emails.cancel', { params: EmailParams }, async ({ params, principal }) => ({
  status: 200,
  body: await cancelEmail(principal.teamId!, params.id),
}));
