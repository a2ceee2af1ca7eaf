import { httpHandler } from '../../shared/http/handler.js';
import { ListEmailsQuery } from '../../schemas/emails.js';
import { listTeamEmails } from '../../repositories/emails.js';

export const handler = httpHandler('emails.list', { query: ListEmailsQuery }, async ({ query, principal }) => ({
  status: 200,
  body: await listTeamEmails(principal.teamId!, query),
}));
