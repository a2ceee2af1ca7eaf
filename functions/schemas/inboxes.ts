import * as z from 'zod';
import { idOf, ListQuery, pageOf, Timestamp } from './common.js';
import { ApiKeyCreated } from './api-keys.js';
import { defineRoutes } from './contract.js';
import { DomainName } from './domains.js';
import { EmailAddress } from './emails.js';

const GIB = 1024 ** 3;
export const DEFAULT_STORAGE_QUOTA_BYTES = GIB;
export const MAX_STORAGE_QUOTA_BYTES = 50 * GIB;
const MIN_STORAGE_QUOTA_BYTES = 1024 ** 2;
const MAX_METADATA_KEYS = 20;
const MAX_METADATA_KEY_CHARS = 40;
const MAX_METADATA_VALUE_CHARS = 500;
const MAX_RULE_ENTRIES = 100;

/**
 * The local part of an inbox address: letters, digits and `. _ + -`, starting with a letter or digit, no
 * trailing or doubled dot (RFC 5321 dot-atom), at most 64 characters. Addresses are stored lowercase.
 */
const USERNAME = /^(?!.*\.\.)[a-z0-9][a-z0-9._+-]{0,63}(?<!\.)$/;
const USERNAME_RULE = 'Use 1–64 letters, digits and ". _ + -", starting with a letter or digit, without a trailing or doubled dot.';

const Username = z.string().trim().toLowerCase().regex(USERNAME, USERNAME_RULE);

const InboxAddress = EmailAddress.refine((address) => USERNAME.test(address.split('@')[0]!), `The part before @: ${USERNAME_RULE}`);

/** Shown in the From header of mail sent from the inbox, so it must not be able to inject header lines. */
const DisplayName = z.string().trim().min(1).max(100).regex(/^[^\r\n\0]*$/, 'Must not contain line breaks.');

const Metadata = z
  .record(z.string(), z.string().max(MAX_METADATA_VALUE_CHARS))
  // Keys are checked here rather than by a key schema: zod reports a bad key as a 400 `invalid_key` without the rule.
  .superRefine((record, ctx) => {
    const keys = Object.keys(record);
    if (keys.length > MAX_METADATA_KEYS) ctx.addIssue({ code: 'custom', message: `At most ${MAX_METADATA_KEYS} keys.` });
    for (const key of keys) {
      if (key.length < 1 || key.length > MAX_METADATA_KEY_CHARS) {
        ctx.addIssue({ code: 'custom', path: [key], message: `Keys are 1–${MAX_METADATA_KEY_CHARS} characters.` });
      }
    }
  })
  .describe(`Your own key-value strings (at most ${MAX_METADATA_KEYS} keys, values up to ${MAX_METADATA_VALUE_CHARS} characters).`);

/** `ann@example.com` or `@example.com` (every sender on exactly that domain, not its subdomains), lowercased. */
const SenderPattern = z.string().transform((value, ctx) => {
  const trimmed = value.trim();
  const parsed = trimmed.startsWith('@') ? DomainName.safeParse(trimmed.slice(1)) : EmailAddress.safeParse(trimmed);
  if (!parsed.success) {
    // Non-fatal, so the other entries and fields are still checked and reported in the same response.
    ctx.addIssue({ code: 'custom', message: 'Must be an email address or "@" followed by a domain, like "@example.com".', continue: true });
    return z.NEVER;
  }
  return trimmed.startsWith('@') ? `@${parsed.data}` : parsed.data;
});

const SenderList = z
  .array(SenderPattern)
  .max(MAX_RULE_ENTRIES)
  .transform((entries) => [...new Set(entries)]);

const OnBlocked = z.enum(['drop', 'label']).describe('drop: the message is discarded; label: it is kept with the label "blocked".');

export const InboxRules = z
  .object({
    allow: z.array(z.string()).describe('If not empty, only these senders are accepted.'),
    block: z.array(z.string()).describe('Senders refused even if the allow list matches them.'),
    on_blocked: OnBlocked,
  })
  .meta({ id: 'InboxRules' });
export type InboxRules = z.infer<typeof InboxRules>;

export const DEFAULT_RULES: InboxRules = { allow: [], block: [], on_blocked: 'drop' };

const RulesInput = z.strictObject({ allow: SenderList.optional(), block: SenderList.optional(), on_blocked: OnBlocked.optional() });

const StorageQuota = z
  .number()
  .int()
  .min(MIN_STORAGE_QUOTA_BYTES)
  .max(MAX_STORAGE_QUOTA_BYTES)
  .describe(`Bytes of mail the inbox may keep (default 1 GiB, at most 50 GiB); only a team admin key can change it.`);

export const Inbox = z
  .object({
    id: idOf('inbox'),
    team_id: idOf('team'),
    address: z.string().describe('The full address, lowercase. Immutable.'),
    display_name: z.string().nullable().describe('The name in the From header of mail sent from the inbox.'),
    metadata: z.record(z.string(), z.string()),
    rules: InboxRules,
    storage_quota_bytes: z.number().int().describe('Bytes of mail the inbox may keep; mail arriving beyond it is kept raw only, with status over_quota.'),
    storage_used_bytes: z.number().int().describe('Bytes of mail stored, kept up to date as mail arrives.'),
    created_at: Timestamp,
    updated_at: Timestamp,
    version: z.number().int().describe('Also the ETag: send it back as If-Match on PATCH.'),
  })
  .meta({ id: 'Inbox' });
export type Inbox = z.infer<typeof Inbox>;

/** The only response that ever contains the inbox key itself. */
export const InboxCreated = Inbox.extend({
  api_key: ApiKeyCreated.describe('The inbox key: scopes read and send, for this inbox only. Shown once: store it now.'),
}).meta({ id: 'InboxCreated' });

export const CreateInboxBody = z
  .strictObject({
    address: InboxAddress.optional().describe('The whole address; or give username (and domain).'),
    username: Username.optional().describe('The part before @; a random "agent-…" name if neither it nor address is given.'),
    domain: DomainName.optional().describe("A verified domain of the team; default: the deployment's default domain."),
    display_name: DisplayName.optional(),
    metadata: Metadata.optional(),
    rules: RulesInput.optional(),
    storage_quota_bytes: StorageQuota.optional(),
  })
  .superRefine((body, ctx) => {
    if (body.address === undefined) return;
    for (const field of ['username', 'domain'] as const) {
      if (body[field] !== undefined) ctx.addIssue({ code: 'custom', path: [field], message: 'Give either address, or username with an optional domain.' });
    }
  })
  .meta({ id: 'CreateInboxBody' });
export type CreateInboxBody = z.output<typeof CreateInboxBody>;

export const UpdateInboxBody = z.strictObject({
  display_name: DisplayName.nullable().optional().describe('null removes it.'),
  metadata: Metadata.optional().describe('Replaces the whole metadata object.'),
  rules: RulesInput.optional().describe('Fields given replace the current ones; fields left out stay as they are.'),
  storage_quota_bytes: StorageQuota.optional(),
}).meta({ id: 'UpdateInboxBody' });
export type UpdateInboxBody = z.output<typeof UpdateInboxBody>;

export const InboxParams = z.strictObject({ id: idOf('inbox') });
export const ListInboxesQuery = ListQuery;

export const InboxDeleted = z.object({ id: idOf('inbox'), deleted: z.literal(true) });
export type InboxDeleted = z.infer<typeof InboxDeleted>;

export const INBOX_ROUTES = defineRoutes({
  'inboxes.create': {
    summary: 'Create an inbox',
    description: [
      'Opens an inbox at `address`, or at `username` on `domain` (a verified domain of the team; default: the deployment\'s default domain), or at a generated `agent-…` name.',
      'The answer holds the inbox key (scopes `read` and `send`, limited to this inbox) — the only time it is shown.',
      'A taken address is a 409 `conflict`; `postmaster@` and `abuse@` on the shared default domain are reserved.',
    ].join(' '),
    body: CreateInboxBody,
    responses: { 201: InboxCreated },
    errors: ['conflict', 'validation_error'],
  },
  'inboxes.list': {
    summary: 'List inboxes',
    description: "The team's inboxes, newest first, a page of `limit` at a time; pass `next_cursor` back as `cursor` for the next page.",
    query: ListInboxesQuery,
    responses: { 200: pageOf(Inbox) },
  },
  'inboxes.get': {
    summary: 'Get an inbox',
    description: 'An inbox key sees only its own inbox: any other id answers 404, like one that does not exist.',
    params: InboxParams,
    responses: { 200: Inbox },
  },
  'inboxes.update': {
    summary: 'Update an inbox',
    description: [
      'Changes the display name, the metadata (replaced whole) and the sender rules (the fields given replace the current ones).',
      'Changing `storage_quota_bytes` needs the `admin` scope. The address is immutable.',
      'A change that leaves the inbox as it is writes nothing and keeps its `version`.',
    ].join(' '),
    params: InboxParams,
    body: UpdateInboxBody,
    responses: { 200: Inbox },
    headers: ['If-Match'],
    errors: ['service_unavailable'],
  },
  'inboxes.delete': {
    summary: 'Delete an inbox',
    description: [
      'The inbox disappears at once: its address is free again and its inbox key is revoked.',
      'Its messages, threads and stored mail are purged in the background.',
    ].join(' '),
    params: InboxParams,
    responses: { 200: InboxDeleted },
    errors: ['service_unavailable'],
  },
});
