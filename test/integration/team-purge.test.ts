/** Deleting a team: keys stop at once; the purge worker then closes its inboxes, releases its domains, empties its buckets and deletes its webhooks. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { LOCAL_AWS } from '../../local/aws-env.js';
import { call, createTeam, endpoints, startLocalStack, type LocalStack } from '../support/local-stack.js';
import { expectEventually } from '../support/http.js';
import { uniqueDomain } from './route-cases/domains.js';
import { findDeliverableWebhook } from '../../functions/repositories/webhooks.js';

const s3 = new S3Client({ endpoint: endpoints().s3, ...LOCAL_AWS, forcePathStyle: true });
let stack: LocalStack;
beforeAll(async () => {
  stack = await startLocalStack();
});
afterAll(async () => {
  s3.destroy();
  await stack.stop();
});

// Each test has its own teams and mostly waits for the purge worker: they run side by side.
describe.concurrent('team purge', () => {
  it('closes a deleted team’s inboxes: their addresses stop receiving and are free again', async () => {
    const [doomed, other] = await Promise.all([createTeam(stack, 'purge-c'), createTeam(stack, 'purge-d')]);
    const username = `purged-${process.pid}-${Date.now().toString(36)}`;
    expect((await call(stack.url, 'POST', '/v1/inboxes', { key: doomed.adminKey, body: { username } })).status).toBe(201);
    expect((await call(stack.url, 'DELETE', `/v1/teams/${doomed.team.id}`, { key: stack.rootKey })).status).toBe(200);
    await expectEventually(async () => {
      const reused = await call(stack.url, 'POST', '/v1/inboxes', { key: other.adminKey, body: { username } });
      expect(reused.status).toBe(201);
    }, 20_000, 500);
  });

  it('deletes a deleted team’s webhooks, so nothing more is delivered to them', async () => {
    const doomed = await createTeam(stack, 'purge-e');
    const webhook = await call(stack.url, 'POST', '/v1/webhooks', { key: doomed.adminKey, body: { url: 'http://127.0.0.1:9/hooks' } });
    expect(webhook.status).toBe(201);
    expect((await call(stack.url, 'DELETE', `/v1/teams/${doomed.team.id}`, { key: stack.rootKey })).status).toBe(200);
    await expectEventually(async () => expect(await findDeliverableWebhook(webhook.body.id)).toBeUndefined(), 20_000, 500);
  });

  it('empties a deleted team’s storage buckets', async () => {
    const doomed = await createTeam(stack, 'purge-f');
    const slug = `purged-${process.pid}-${Date.now().toString(36)}`;
    expect((await call(stack.url, 'POST', '/v1/buckets', { key: doomed.adminKey, body: { slug, visibility: 'public' } })).status).toBe(201);
    const put = await call(stack.url, 'POST', `/v1/buckets/${slug}/objects`, { key: doomed.adminKey, body: { key: 'logo.svg', content: Buffer.from('<svg/>').toString('base64') } });
    expect(put.status).toBe(201);
    expect((await call(stack.url, 'DELETE', `/v1/teams/${doomed.team.id}`, { key: stack.rootKey })).status).toBe(200);
    await expectEventually(async () => {
      const { KeyCount } = await s3.send(new ListObjectsV2Command({ Bucket: process.env.MEDIA_BUCKET!, Prefix: `media/${doomed.team.id}/` }));
      expect(KeyCount).toBe(0);
    }, 20_000, 500);
  });

  it('releases a deleted team’s domains so another team can add them', async () => {
    const [doomed, other] = await Promise.all([createTeam(stack, 'purge-a'), createTeam(stack, 'purge-b')]);
    const name = uniqueDomain();
    expect((await call(stack.url, 'POST', '/v1/domains', { key: doomed.adminKey, body: { name } })).status).toBe(201);
    const taken = await call(stack.url, 'POST', '/v1/domains', { key: other.adminKey, body: { name } });
    expect(taken.status).toBe(409);

    expect((await call(stack.url, 'DELETE', `/v1/teams/${doomed.team.id}`, { key: stack.rootKey })).status).toBe(200);
    expect((await call(stack.url, 'GET', '/v1/domains', { key: doomed.adminKey })).status).toBe(401);
    await expectEventually(async () => {
      const claimed = await call(stack.url, 'POST', '/v1/domains', { key: other.adminKey, body: { name } });
      expect(claimed.status).toBe(201);
    }, 20_000, 500);
  });
});
