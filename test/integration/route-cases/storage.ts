/** Storage routes: each path case creates a bucket (and an object) for the admin key's team. */
import { call } from '../../support/local-stack.js';
import type { RouteCaseContext, RouteCases } from '../../support/route-cases.js';

let unique = 0;
export const uniqueSlug = (prefix = 'b') => `${prefix}-${process.pid}-${Date.now().toString(36)}-${unique++}`;

async function bucketPath({ url, adminKey }: RouteCaseContext, suffix = ''): Promise<string> {
  const res = await call(url, 'POST', '/v1/buckets', { key: adminKey, body: { slug: uniqueSlug('route') } });
  if (res.status !== 201) throw new Error(`bucket create failed: ${res.status} ${JSON.stringify(res.body)}`);
  return `/v1/buckets/${res.body.slug}${suffix}`;
}

async function objectPath(ctx: RouteCaseContext): Promise<string> {
  const bucket = await bucketPath(ctx);
  const res = await call(ctx.url, 'POST', `${bucket}/objects`, { key: ctx.adminKey, body: { key: 'docs/hello world.txt', content: Buffer.from('hello').toString('base64') } });
  if (res.status !== 201) throw new Error(`object put failed: ${res.status} ${JSON.stringify(res.body)}`);
  return `${bucket}/objects/docs/hello%20world.txt`;
}

export const cases: RouteCases = {
  'buckets.create': {
    body: {
      valid: () => ({ slug: uniqueSlug() }),
      wrongTypes: { body: { slug: 1, visibility: true, description: [], region: 'eu' }, fields: ['slug', 'visibility', 'description', 'region'] },
      rules: { body: { slug: 'Not A Slug!', visibility: 'shared', description: 'x'.repeat(501) }, fields: ['slug', 'visibility', 'description'] },
    },
  },
  'buckets.get': { path: (ctx) => bucketPath(ctx) },
  'buckets.update': {
    path: (ctx) => bucketPath(ctx),
    body: {
      valid: () => ({ description: 'Renamed' }),
      wrongTypes: { body: { visibility: 1, slug: 'other' }, fields: ['visibility', 'slug'] },
      rules: { body: { visibility: 'everyone', description: 'x'.repeat(501) }, fields: ['visibility', 'description'] },
    },
  },
  'buckets.delete': { path: (ctx) => bucketPath(ctx) },
  'bucket-uploads.create': {
    path: (ctx) => bucketPath(ctx, '/uploads'),
    body: {
      valid: () => ({ key: 'photos/cat.jpg', size: 1024, content_type: 'image/jpeg' }),
      wrongTypes: { body: { key: 1, size: '1kb', content_type: 2, expires_in: 'soon', acl: 'public' }, fields: ['key', 'size', 'content_type', 'expires_in', 'acl'] },
      rules: { body: { key: '../etc/passwd', size: 0, content_type: 'jpeg', expires_in: 5 }, fields: ['key', 'size', 'content_type', 'expires_in'] },
    },
  },
  'bucket-objects.create': {
    path: (ctx) => bucketPath(ctx, '/objects'),
    body: {
      valid: () => ({ key: `notes/${uniqueSlug()}.txt`, content: Buffer.from('hi').toString('base64'), content_type: 'text/plain' }),
      wrongTypes: { body: { key: [], content: 5, content_type: false }, fields: ['key', 'content', 'content_type'] },
      rules: { body: { key: 'a//b', content: 'not base64!', content_type: 'text' }, fields: ['key', 'content', 'content_type'] },
    },
  },
  'bucket-objects.list': { path: (ctx) => bucketPath(ctx, '/objects') },
  'bucket-objects.get': { path: objectPath },
  'bucket-objects.delete': { path: objectPath },
};
