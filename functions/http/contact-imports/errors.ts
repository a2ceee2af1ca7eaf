import { httpHandler } from '../../shared/http/handler.js';
import { ImportParams, ListImportErrorsQuery } from '../../schemas/contact-imports.js';
import { listImportErrors } from '../../repositories/contact-imports.js';

/** The job's row errors in row order. */
export const handler = httpHandler('contact-imports.errors', { params: ImportParams, query: ListImportErrorsQuery }, async ({ params, query, principal }) => ({
  status: 200,
  body: await listImportErrors(principal.teamId!, params.id, query),
}));
