/**
 * Opening an inbox: which address it gets (given, or a username on a domain, or generated), whether the team
 * may receive there (a verified domain of its own or the deployment's default domain), and its inbox key,
 * created with it in one transaction.
 */
import { randomInt } from 'node:crypto';
import { config } from '../shared/config.js';
import { ApiError, notFound } from '../shared/errors.js';
import type { Principal } from '../shared/http/types.js';
import { newId } from '../shared/ids.js';
import { DEFAULT_RULES, DEFAULT_STORAGE_QUOTA_BYTES, type CreateInboxBody } from '../schemas/inboxes.js';
import type { ApiKey } from '../schemas/api-keys.js';
import { createInbox, deleteInbox, getTeamInbox, type Inbox } from '../repositories/inboxes.js';
import { apiKeyPut } from '../repositories/api-keys.js';
import { findVerifiedSendingDomain } from '../repositories/domains.js';
import { mintApiKey } from './api-keys.js';
import { sendToQueue } from '../shared/queue/producer.js';
import type { TeamPurgeMessage } from '../workers/team-purge.js';

/** An inbox key can read its inbox and send from it; nothing else. */
const INBOX_KEY_SCOPES = ['read', 'send'] as const;
/** Generated names are short enough to read out; a collision (1 in 2 billion per pair) just draws again. */
const GENERATED_ATTEMPTS = 3;
const GENERATED_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
/**
 * RFC 2142 role mailboxes of the shared default domain belong to the operator: a team holding abuse@ would
 * receive the complaints about every other team.
 */
const OPERATOR_MAILBOXES = new Set(['postmaster', 'abuse']);

const generatedUsername = () => `agent-${Array.from({ length: 6 }, () => GENERATED_ALPHABET[randomInt(GENERATED_ALPHABET.length)]).join('')}`;

interface AddressRequest {
  /** The field a problem with the address is reported on. */
  param: 'address' | 'username' | 'domain';
  username: string | undefined;
  domain: string;
}

function addressRequest(body: CreateInboxBody): AddressRequest {
  if (body.address) {
    const [username, domain] = body.address.split('@') as [string, string];
    return { param: 'address', username, domain };
  }
  const domain = body.domain ?? config.defaultSendingDomain;
  if (!domain) {
    throw new ApiError('validation_error', 'This deployment has no default domain: give domain (a verified domain of your team) or address.', {
      param: 'domain',
      errors: [{ field: 'domain', code: 'required', message: 'Give a verified domain of your team.' }],
    });
  }
  return { param: body.domain ? 'domain' : 'username', username: body.username, domain };
}

async function checkDomain(teamId: string, request: AddressRequest): Promise<void> {
  if (request.domain === config.defaultSendingDomain) {
    if (request.username !== undefined && OPERATOR_MAILBOXES.has(request.username)) {
      const param = request.param === 'address' ? 'address' : 'username';
      throw new ApiError('validation_error', `${request.username}@ on the shared default domain is reserved for the operator.`, {
        param,
        errors: [{ field: param, code: 'reserved', message: `${request.username} is reserved on ${request.domain}.` }],
      });
    }
    return;
  }
  if (await findVerifiedSendingDomain(teamId, request.domain)) return;
  const param = request.param === 'address' ? 'address' : 'domain';
  const fallback = config.defaultSendingDomain ? ` or on ${config.defaultSendingDomain}` : '';
  throw new ApiError('validation_error', `The inbox address must be on a verified domain of your team${fallback}; ${request.domain} is not.`, {
    param,
    errors: [{ field: param, code: 'domain_not_verified', message: `${request.domain} is not a verified domain of this team.` }],
  });
}

/** Creates the inbox and its key; the key's token is in the result and nowhere else. */
export async function openInbox(teamId: string, body: CreateInboxBody): Promise<{ inbox: Inbox; apiKey: ApiKey & { key: string } }> {
  const request = addressRequest(body);
  await checkDomain(teamId, request);
  const id = newId('inbox');
  const { record, token } = await mintApiKey({ team_id: teamId, kind: 'inbox', inbox_id: id, name: 'Inbox key', scopes: [...INBOX_KEY_SCOPES] });
  const attempts = request.username === undefined ? GENERATED_ATTEMPTS : 1;
  for (let attempt = 1; ; attempt++) {
    const address = `${request.username ?? generatedUsername()}@${request.domain}`;
    const { key, put } = apiKeyPut({ ...record, name: `Inbox ${address}`.slice(0, 100) });
    try {
      const inbox = await createInbox(
        {
          id,
          team_id: teamId,
          address,
          display_name: body.display_name ?? null,
          metadata: body.metadata ?? {},
          rules: { ...DEFAULT_RULES, ...body.rules },
          storage_quota_bytes: body.storage_quota_bytes ?? DEFAULT_STORAGE_QUOTA_BYTES,
          key_id: record.id,
        },
        [put],
      );
      return { inbox, apiKey: { ...key, key: token } };
    } catch (error) {
      const generatedNameTaken = error instanceof ApiError && error.code === 'conflict' && attempt < attempts;
      if (!generatedNameTaken) throw error;
    }
  }
}

/**
 * The inbox a caller may act on: a team key sees its team's inboxes, an inbox key only its own; any other
 * id answers exactly like one that does not exist.
 */
/** Deletes the inbox for the API at once (address free, key revoked); its stored mail is purged in the background. */
export async function closeInbox(teamId: string, inboxId: string): Promise<void> {
  await deleteInbox(teamId, inboxId);
  const job: TeamPurgeMessage = { team_id: teamId, inbox_id: inboxId };
  await sendToQueue('team-purge', [job]);
}

export async function inboxForPrincipal(principal: Principal, inboxId: string): Promise<Inbox> {
  if (principal.kind === 'inbox' && principal.inboxId !== inboxId) throw notFound('Inbox');
  return getTeamInbox(principal.teamId!, inboxId);
}
