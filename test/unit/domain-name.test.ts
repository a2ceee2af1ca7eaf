import { describe, expect, it } from 'vitest';
import { CreateDomainBody } from '../../functions/schemas/domains.js';

describe('domain names', () => {
  it.each([
    ['example.com', 'example.com'],
    ['  Mail.Example.COM  ', 'mail.example.com'],
    ['example.com.', 'example.com'],
    ['a-b.c-d.co.uk', 'a-b.c-d.co.uk'],
    ['xn--bcher-kva.example', 'xn--bcher-kva.example'],
    ['example.xn--p1ai', 'example.xn--p1ai'],
  ])('accepts %j as %j', (input, name) => {
    expect(CreateDomainBody.parse({ name: input })).toEqual({ name });
  });

  it.each([
    'localhost',
    'com',
    '192.168.0.1',
    'example.123',
    '-example.com',
    'example-.com',
    'ex_ample.com',
    'a..example.com',
    '.example.com',
    'example.com..',
    'bücher.example',
    'user@example.com',
    'https://example.com',
    `${'a'.repeat(64)}.com`,
    `${'a.'.repeat(126)}com`,
  ])('refuses %j', (name) => {
    const result = CreateDomainBody.safeParse({ name });
    expect(result.success).toBe(false);
    expect(result.error!.issues[0]!.code).not.toBe('invalid_type');
  });

  it('accepts a name of 253 characters and no more', () => {
    const label = 'a'.repeat(63);
    const name = `${label}.${label}.${label}.${'a'.repeat(57)}.com`;
    expect(name).toHaveLength(253);
    expect(CreateDomainBody.safeParse({ name }).success).toBe(true);
    expect(CreateDomainBody.safeParse({ name: `a${name}` }).success).toBe(false);
  });
});
