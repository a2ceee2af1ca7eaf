import { describe, expect, it } from 'vitest';
import { hasScope, SCOPES, type Scope } from '../../functions/shared/auth/scopes.js';

describe('hasScope', () => {
  it.each<[Scope[], Scope, boolean]>([
    [['admin'], 'admin', true],
    [['admin'], 'write', true],
    [['admin'], 'read', true],
    [['admin'], 'send', true],
    [['write'], 'read', true],
    [['write'], 'write', true],
    [['write'], 'send', false],
    [['write'], 'admin', false],
    [['read'], 'read', true],
    [['read'], 'write', false],
    [['read'], 'admin', false],
    [['send'], 'send', true],
    [['send'], 'read', false],
    [['read', 'send'], 'send', true],
    [['read', 'send'], 'write', false],
    [[], 'read', false],
  ])('%j grants %s: %s', (granted, required, expected) => {
    expect(hasScope(granted, required)).toBe(expected);
  });

  it('lets admin do everything and no other single scope do admin', () => {
    for (const scope of SCOPES) expect(hasScope(['admin'], scope)).toBe(true);
    for (const scope of SCOPES.filter((s) => s !== 'admin')) expect(hasScope([scope], 'admin')).toBe(false);
  });
});
