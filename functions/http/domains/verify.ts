import { httpHandler } from '../../shared/http/handler.js';
import { DomainParams } from '../../schemas/domains.js';
import { checkDomain } from '../../domain/sending-domains.js';

export const handler = httpHandler('domains.verify', { params: DomainParams }, async ({ params, principal }) => {
  const domain = await checkDomain(principal.teamId!, params.id);
  return { status: 200, body: domain, etag: domain.version };
});
