import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startLocalStack, type LocalStack } from '../support/local-stack.js';

let stack: LocalStack;
beforeAll(async () => {
  stack = await startLocalStack({ withWorkers: false });
});
afterAll(() => stack.stop());

describe('GET /health', () => {
  it('answers 200 with ok and the version, and a request id', async () => {
    const res = await call(stack.url, 'GET', '/health');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ok: true, version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
    expect(res.headers.get('x-request-id')).toMatch(/^req_/);
  });
});
