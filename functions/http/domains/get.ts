import { httpHandler } from '../../shared/http/handler.js';
import { DomainParams } from '../../schemas/domains.js';
import { getTeamDomain } from '../../repositories/domains.js';

export const handler = httpHandler('domains.get', { params: DomainParams }, async ({ params, principal }) => {
  const domain = await getTeamDomain(principal.teamId!, params.id);
  return { status: 200, body: domain, etag: domain.version };
});
