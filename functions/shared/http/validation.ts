/** zod issues → the envelope: every field at once, 400 for shape problems, 422 for broken rules. */
import type * as z from 'zod';
import { ApiError, type FieldError } from '../errors.js';

const SYNTACTIC = new Set(['invalid_type', 'unrecognized_keys', 'invalid_union', 'invalid_key', 'invalid_element']);

function fieldErrors(issues: readonly z.core.$ZodIssue[], prefix: string): FieldError[] {
  return issues.flatMap((issue): FieldError[] => {
    const base = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ field: base ? `${base}.${key}` : key, code: issue.code, message: `Unknown field "${key}".` }));
    }
    return [{ field: base || prefix || '(root)', code: issue.code, message: issue.message }];
  });
}

export function validationError(allIssues: readonly z.core.$ZodIssue[], prefix = ''): ApiError {
  // zod 4 still runs length checks on a value of the wrong type ("scopes": "admin" also yields "expected string to
  // have <=4 characters"): a field with the wrong type reports only that.
  const mistyped = new Set(allIssues.filter((i) => i.code === 'invalid_type').map((i) => JSON.stringify(i.path)));
  const issues = allIssues.filter((i) => i.code === 'invalid_type' || !mistyped.has(JSON.stringify(i.path)));
  const errors = fieldErrors(issues, prefix);
  const syntactic = issues.some((issue) => SYNTACTIC.has(issue.code));
  const first = errors[0]!;
  const summary = errors.length === 1 ? `${first.field}: ${first.message}` : `${errors.length} fields are invalid; see errors.`;
  return new ApiError(syntactic ? 'invalid_parameter' : 'validation_error', summary, { param: first.field, errors });
}

export function parseWith<S extends z.ZodType>(schema: S, input: unknown, prefix = ''): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw validationError(result.error.issues, prefix);
  return result.data;
}
