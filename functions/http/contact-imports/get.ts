import { httpHandler } from '../../shared/http/handler.js';
import { ImportParams } from '../../schemas/contact-imports.js';
import { getTeamImport } from '../../repositories/contact-imports.js';
import { publicImport } from '../../domain/contact-import.js';

export const handler = httpHandler('contact-imports.get', { params: ImportParams }, async ({ params, principal }) => ({
  status: 200,
  body: publicImport(await getTeamImport(principal.teamId!, params.id)),
}));
