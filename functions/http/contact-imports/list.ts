import { httpHandler } from '../../shared/http/handler.js';
import { ListImportsQuery } from '../../schemas/contact-imports.js';
import { listImports } from '../../repositories/contact-imports.js';
import { publicImport } from '../../domain/contact-import.js';

export const handler = httpHandler('contact-imports.list', { query: ListImportsQuery }, async ({ query, principal }) => {
  const page = await listImports(principal.teamId!, query);
  return { status: 200, body: { data: page.data.map(publicImport), next_cursor: page.next_cursor } };
});
