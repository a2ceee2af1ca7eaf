import { idempotentHttpHandler } from '../../shared/http/idempotency.js';
import { CreateDomainBody } from '../../schemas/domains.js';
import { registerDomain } from '../../domain/sending-domains.js';

export const handler = idempotentHttpHandler('domains.create', { body: CreateDomainBody }, async ({ body, principal, setResourceId }) => {
  const domain = await registerDomain(principal.teamId!, body.name);
  setResourceId(domain.id);
  return { status: 201, body: domain, etag: domain.version };
});
