/** Sending routes (emails, suppressions, one-click unsubscribe): path cases create their own resources. */
import { newId } from '../../../functions/shared/ids.js';
import { call } from '../../support/local-stack.js';
import type { RouteCaseContext, RouteCases } from '../../support/route-cases.js';

let unique = 0;
const address = (prefix = 'routes') => `${prefix}-${process.pid}-${Date.now().toString(36)}-${unique++}@example.com`;

const validEmail = () => ({ from: 'Routes <routes@mailroom.test>', to: 'success@simulator.amazonses.com', subject: 'Route check', text: 'Hello' });

/** Every field has the wrong JSON type (plus one unknown field): 400, one error per field, in schema order. */
const wrongTypesEmail = {
  body: { from: 5, to: true, subject: 1, html: [], headers: 'X-A: b', attachments: {}, tags: ['a'], tracking: 'yes', list_unsubscribe: 'true', color: 'red' },
  fields: ['from', 'to', 'subject', 'html', 'headers', 'attachments', 'tags', 'tracking', 'list_unsubscribe', 'color'],
};
/** Every field is well typed and breaks a rule: 422, one error per field. */
const rulesEmail = {
  body: {
    from: 'not-an-address',
    to: ['ann@example.com', 'ann@@example.com'],
    subject: 'Hi\r\nBcc: victim@example.com',
    text: 'hi',
    headers: { Bcc: 'victim@example.com' },
    attachments: [{ filename: '../etc/passwd', content: 'aGVsbG8=' }],
    tags: { mailroom_campaign: 'x' },
  },
  fields: ['from', 'to.1', 'subject', 'headers.Bcc', 'attachments.0.filename', 'tags.mailroom_campaign'],
};

async function sendEmail({ url, adminKey }: RouteCaseContext, extra: object = {}): Promise<string> {
  const res = await call(url, 'POST', '/v1/emails', { key: adminKey, body: { ...validEmail(), ...extra } });
  if (res.status !== 202) throw new Error(`send failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id;
}

async function suppressionPath({ url, adminKey }: RouteCaseContext): Promise<string> {
  const email = address('suppressed');
  const res = await call(url, 'POST', '/v1/suppressions', { key: adminKey, body: { email } });
  if (res.status !== 201) throw new Error(`suppression create failed: ${res.status} ${JSON.stringify(res.body)}`);
  return `/v1/suppressions/${encodeURIComponent(email)}`;
}

/** Shaped like a real token (base64url payload "." 43-character signature), signed by nobody. */
const unsignedToken = () =>
  `${Buffer.from(JSON.stringify([newId('team'), address('unsub'), newId('email')])).toString('base64url')}.${Buffer.alloc(32, 7).toString('base64url')}`;

export const cases: RouteCases = {
  'emails.send': { body: { valid: validEmail, wrongTypes: wrongTypesEmail, rules: rulesEmail } },
  'emails.batch': {
    body: {
      valid: () => [validEmail(), validEmail()],
      wrongTypes: { body: [validEmail(), wrongTypesEmail.body], fields: wrongTypesEmail.fields.map((f) => `1.${f}`) },
      rules: { body: [rulesEmail.body, validEmail()], fields: rulesEmail.fields.map((f) => `0.${f}`) },
    },
  },
  'emails.get': { path: async (ctx) => `/v1/emails/${await sendEmail(ctx)}`, missingPath: () => `/v1/emails/${newId('email')}` },
  'emails.cancel': {
    noBody: true,
    path: async (ctx) => `/v1/emails/${await sendEmail(ctx, { scheduled_at: new Date(Date.now() + 6 * 3600_000).toISOString() })}/cancel`,
    missingPath: () => `/v1/emails/${newId('email')}/cancel`,
  },
  'suppressions.create': {
    body: {
      valid: () => ({ email: address() }),
      wrongTypes: { body: { email: 42, reason: 'manual' }, fields: ['email', 'reason'] },
      rules: { body: { email: 'not an address' }, fields: ['email'] },
    },
  },
  'suppressions.delete': { path: suppressionPath, missingPath: () => `/v1/suppressions/${encodeURIComponent(address('never'))}` },
  // Public; its body is RFC 8058's form-encoded `List-Unsubscribe=One-Click`, so a JSON body is refused like on any bodiless route.
  'unsubscribe.confirm': { noBody: true, path: async () => `/v1/unsubscribe/${unsignedToken()}` },
};
