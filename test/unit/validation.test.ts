import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseWith, validationError } from '../../functions/shared/http/validation.js';
import { ApiError, toErrorBody } from '../../functions/shared/errors.js';
import { CreateApiKeyBody } from '../../functions/schemas/api-keys.js';
import { CreateTeamBody } from '../../functions/schemas/teams.js';

function errorOf(schema: z.ZodType, input: unknown, prefix?: string): ApiError {
  try {
    parseWith(schema, input, prefix);
  } catch (error) {
    expect(error).toBeInstanceOf(ApiError);
    return error as ApiError;
  }
  throw new Error('expected a validation error');
}

describe('validation errors', () => {
  it('maps wrong types to 400 invalid_parameter and lists every field, param = first', () => {
    const error = errorOf(CreateApiKeyBody, { name: 5, scopes: 'x', rate_limit: 'a' });
    expect(error.status).toBe(400);
    expect(error.code).toBe('invalid_parameter');
    expect(error.retryable).toBe(false);
    expect(error.options.errors!.map((e) => e.field)).toEqual(['name', 'scopes', 'rate_limit']);
    expect(error.options.errors!.every((e) => e.code === 'invalid_type' && e.message)).toBe(true);
    expect(error.options.param).toBe('name');
    expect(error.message).toMatch(/3 fields/);
  });

  it('maps broken rules to 422 validation_error with every field at once', () => {
    const error = errorOf(CreateTeamBody, { slug: 'A!', name: ' ' });
    expect(error.status).toBe(422);
    expect(error.code).toBe('validation_error');
    expect(error.options.errors!.map((e) => e.field)).toEqual(['slug', 'name']);
    expect(error.options.param).toBe('slug');
  });

  it('uses 400 when shape and rule problems are mixed', () => {
    const error = errorOf(CreateApiKeyBody, { name: '', scopes: 'read' });
    expect(error.status).toBe(400);
    expect(error.options.errors!.map((e) => e.field)).toEqual(['name', 'scopes']);
  });

  it('reports only the type error for a field of the wrong type (no length rule applied to it)', () => {
    const error = errorOf(CreateApiKeyBody, { name: 'ok', scopes: 'admin' });
    expect(error.options.errors).toEqual([{ field: 'scopes', code: 'invalid_type', message: expect.stringMatching(/expected array/) }]);
    expect(error.message).toMatch(/^scopes: /);
  });

  it('reports each unknown key as its own field', () => {
    const error = errorOf(CreateApiKeyBody, { name: 'ok', extra: 1, other: 2 });
    expect(error.status).toBe(400);
    expect(error.options.errors).toEqual([
      { field: 'extra', code: 'unrecognized_keys', message: 'Unknown field "extra".' },
      { field: 'other', code: 'unrecognized_keys', message: 'Unknown field "other".' },
    ]);
    expect(error.options.param).toBe('extra');
  });

  it('names nested fields with dots and applies the prefix', () => {
    const schema = z.object({ to: z.array(z.string().email()) });
    const error = errorOf(schema, { to: ['ok@example.com', 'not-an-email'] }, 'body');
    expect(error.status).toBe(422);
    expect(error.options.errors!.map((e) => e.field)).toEqual(['body.to.1']);
    expect(error.message).toMatch(/^body\.to\.1: /);
  });

  it('names a root-level problem (root) when there is no path and no prefix', () => {
    const error = validationError(z.string().safeParse(5).error!.issues);
    expect(error.options.errors![0]!.field).toBe('(root)');
  });

  it('returns the parsed data on success', () => {
    expect(parseWith(CreateApiKeyBody, { name: '  ci  ' })).toEqual({ name: 'ci', scopes: ['read', 'write', 'send'] });
  });

  it('renders into the envelope with errors and param', () => {
    const body = toErrorBody(errorOf(CreateTeamBody, { slug: 'A!', name: '' }), 'req_1');
    expect(body).toEqual({
      error: {
        code: 'validation_error',
        message: expect.any(String),
        param: 'slug',
        retryable: false,
        errors: [expect.objectContaining({ field: 'slug' }), expect.objectContaining({ field: 'name' })],
      },
      request_id: 'req_1',
    });
  });
});
