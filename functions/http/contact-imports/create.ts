import { idempotentHttpHandler } from '../../shared/http/idempotency.js';
import { StartImportBody } from '../../schemas/contact-imports.js';
import { startContactImport } from '../../domain/contact-import.js';

/** Accepted (202): the rows are applied in the background; poll the job. */
export const handler = idempotentHttpHandler('contact-imports.create', { body: StartImportBody }, async ({ body, principal, setResourceId }) => {
  const job = await startContactImport(principal.teamId!, body);
  setResourceId(job.id);
  return { status: 202, body: job, headers: { Location: `/v1/contacts/imports/${job.id}` } };
});
