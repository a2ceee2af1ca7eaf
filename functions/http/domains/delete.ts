import { httpHandler } from '../../shared/http/handler.js';
import { DomainParams } from '../../schemas/domains.js';
import { deleteDomain } from '../../domain/sending-domains.js';

export const handler = httpHandler('domains.delete', { params: DomainParams }, async ({ params, principal }) => {
  await deleteDomain(principal.teamId!, params.id);
  return { status: 200, body: { id: params.id, deleted: true } };
});
