import { httpHandler } from '../../shared/http/handler.js';
import { ListDomainsQuery } from '../../schemas/domains.js';
import { listTeamDomains } from '../../repositories/domains.js';

export const handler = httpHandler('domains.list', { query: ListDomainsQuery }, async ({ query, principal }) => ({
  status: 200,
  body: await listTeamDomains(principal.teamId!, query),
}));
