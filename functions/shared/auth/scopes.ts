/**
 * Team-key scopes. A key holds a list of scopes; a granted scope implies the ones listed for it here,
 * so `admin` can do everything a team key can and `write` can also read.
 */
export const SCOPES = ['read', 'write', 'send', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

const IMPLIES: Record<Scope, readonly Scope[]> = {
  read: ['read'],
  write: ['write', 'read'],
  send: ['send'],
  admin: ['admin', 'write', 'read', 'send'],
};

export function hasScope(granted: readonly Scope[], required: Scope): boolean {
  return granted.some((scope) => IMPLIES[scope].includes(required));
}
