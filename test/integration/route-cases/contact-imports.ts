/** Contact import routes: each path case uploads a small CSV to a new bucket and starts an import of it. */
import { newId } from '../../../functions/shared/ids.js';
import { call } from '../../support/local-stack.js';
import type { RouteCaseContext, RouteCases } from '../../support/route-cases.js';
import { uniqueSlug } from './storage.js';
import { uniqueEmail } from './contacts.js';

async function importPath({ url, adminKey }: RouteCaseContext, suffix = ''): Promise<string> {
  const bucket = await call(url, 'POST', '/v1/buckets', { key: adminKey, body: { slug: uniqueSlug('imp') } });
  if (bucket.status !== 201) throw new Error(`bucket create failed: ${bucket.status} ${JSON.stringify(bucket.body)}`);
  const content = Buffer.from(`email\n${uniqueEmail()}\nnot-an-email\n`).toString('base64');
  const object = await call(url, 'POST', `/v1/buckets/${bucket.body.slug}/objects`, { key: adminKey, body: { key: 'people.csv', content, content_type: 'text/csv' } });
  if (object.status !== 201) throw new Error(`object put failed: ${object.status} ${JSON.stringify(object.body)}`);
  const job = await call(url, 'POST', '/v1/contacts/import', { key: adminKey, body: { bucket: bucket.body.slug, key: 'people.csv' } });
  if (job.status !== 202) throw new Error(`import failed: ${job.status} ${JSON.stringify(job.body)}`);
  return `/v1/contacts/imports/${job.body.id}${suffix}`;
}
const missingPath = (suffix = '') => () => `/v1/contacts/imports/${newId('contactImport')}${suffix}`;

export const cases: RouteCases = {
  'contact-imports.create': {
    body: {
      valid: () => ({ bucket: 'contacts', key: 'people.csv', tags: ['imported'] }),
      wrongTypes: {
        body: { bucket: 1, key: 2, format: true, tags: 'vip', source: 5, list_id: 'x' },
        fields: ['bucket', 'key', 'format', 'tags', 'source', 'list_id'],
      },
      rules: {
        body: { bucket: 'Not A Slug!', key: '../people.csv', format: 'xlsx', tags: ['a,b'], source: '' },
        fields: ['bucket', 'key', 'format', 'tags.0', 'source'],
      },
    },
  },
  'contact-imports.get': { path: (ctx) => importPath(ctx), missingPath: missingPath() },
  'contact-imports.errors': { path: (ctx) => importPath(ctx, '/errors'), missingPath: missingPath('/errors') },
};
