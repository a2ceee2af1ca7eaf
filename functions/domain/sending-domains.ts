/**
 * A team's sending domains and the SES v2 email identity behind each (Easy DKIM, custom MAIL FROM,
 * the deployment's configuration set). The table and SES are kept in step here; SES errors become API errors.
 */
import {
  CreateEmailIdentityCommand,
  DeleteEmailIdentityCommand,
  GetEmailIdentityCommand,
  PutEmailIdentityMailFromAttributesCommand,
} from '@aws-sdk/client-sesv2';
import { ses } from '../shared/clients.js';
import { config } from '../shared/config.js';
import { ApiError, notFound } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import { logger } from '../shared/logger.js';
import { claimDomain, getTeamDomain, recordDomainCheck, recordDomainIdentity, removeDomain, type Domain } from '../repositories/domains.js';
import { mailFromDomainOf, type IdentityCheck } from './dns-records.js';
import { platformEvent, publishEvents } from './webhook-events.js';

const errorName = (error: unknown) => (error as { name?: string })?.name ?? '';

/** SES's answer as the API's error; anything unexpected passes through (the envelope makes it a 500/503). */
function sesError(error: unknown, name: string): unknown {
  switch (errorName(error)) {
    case 'AlreadyExistsException':
      // An identity made outside Mailroom (or by another deployment in the same account) holds the name.
      return new ApiError('conflict', `The domain ${name} is already registered.`, { param: 'name' });
    case 'BadRequestException':
      return new ApiError('validation_error', `SES does not accept ${name}: ${(error as Error).message}`, { param: 'name' });
    case 'LimitExceededException':
      return new ApiError('service_unavailable', 'The AWS account has reached its SES identity limit; the operator must raise it or remove identities.', {
        retryable: false,
      });
    case 'TooManyRequestsException':
    case 'ConcurrentModificationException':
      return new ApiError('service_unavailable', 'SES is busy; retry with backoff.', { headers: { 'Retry-After': '1' } });
    default:
      return error;
  }
}

async function deleteIdentity(name: string): Promise<void> {
  try {
    await ses.send(new DeleteEmailIdentityCommand({ EmailIdentity: name }));
  } catch (error) {
    // Already gone (a retried delete, or removed by hand): the goal is reached.
    if (errorName(error) !== 'NotFoundException') throw sesError(error, name);
  }
}

async function createIdentity(teamId: string, id: string, name: string) {
  const created = await ses.send(
    new CreateEmailIdentityCommand({
      EmailIdentity: name,
      ConfigurationSetName: config.sesConfigurationSet,
      // Lets an operator looking at SES find the team and domain an identity belongs to.
      Tags: [
        { Key: 'mailroom:team-id', Value: teamId },
        { Key: 'mailroom:domain-id', Value: id },
      ],
    }),
  );
  try {
    await ses.send(
      new PutEmailIdentityMailFromAttributesCommand({
        EmailIdentity: name,
        MailFromDomain: mailFromDomainOf(name),
        // Until the MAIL FROM records are found, send with amazonses.com as envelope sender rather than refuse.
        BehaviorOnMxFailure: 'USE_DEFAULT_VALUE',
      }),
    );
  } catch (error) {
    await deleteIdentity(name);
    throw error;
  }
  return {
    dkimTokens: created.DkimAttributes?.Tokens ?? [],
    dkimStatus: created.DkimAttributes?.Status ?? 'PENDING',
    mailFromStatus: 'PENDING' as const,
  };
}

/** Claims the name for the team, then creates the SES identity; if SES fails, the claim is released. */
export async function registerDomain(teamId: string, name: string): Promise<Domain> {
  if (name === config.defaultSendingDomain) {
    throw new ApiError('conflict', `${name} is this deployment's default sending domain: every team can already send from it.`, { param: 'name' });
  }
  const id = newId('domain');
  await claimDomain({ id, team_id: teamId, name, region: config.region });
  let identity: Awaited<ReturnType<typeof createIdentity>>;
  try {
    identity = await createIdentity(teamId, id, name);
  } catch (error) {
    await removeDomain(teamId, { id, name }).catch((releaseError: unknown) =>
      logger.error('could not release a domain claim after SES failed', { domain_id: id, name, error: releaseError as Error }),
    );
    throw sesError(error, name);
  }
  return recordDomainIdentity(teamId, id, identity);
}

/** How long after a domain's verification a check still (re)publishes `domain.verified`. */
const REPUBLISH_VERIFIED_MS = 24 * 3600 * 1000;

/** Asks SES how verification is going and stores the answer (recording `domain.verified` the first time). */
export async function checkDomain(teamId: string, id: string): Promise<Domain> {
  const domain = await getTeamDomain(teamId, id);
  let identity;
  try {
    identity = await ses.send(new GetEmailIdentityCommand({ EmailIdentity: domain.name }));
  } catch (error) {
    if (errorName(error) === 'NotFoundException') {
      throw new ApiError('conflict', `The SES identity of ${domain.name} no longer exists in the AWS account; delete the domain and add it again.`);
    }
    throw sesError(error, domain.name);
  }
  const check: IdentityCheck = {
    verifiedForSending: identity.VerifiedForSendingStatus ?? false,
    dkimTokens: identity.DkimAttributes?.Tokens ?? [],
    dkimStatus: identity.DkimAttributes?.Status ?? 'NOT_STARTED',
    mailFromStatus: identity.MailFromAttributes?.MailFromDomainStatus ?? 'NOT_STARTED',
  };
  const checked = await recordDomainCheck(teamId, id, check);
  if (checked.verified_at !== null && Date.now() - Date.parse(checked.verified_at) < REPUBLISH_VERIFIED_MS) {
    // Every check soon after verification publishes it again (same domain and verified_at, so the same event
    // id and one delivery per webhook): a publish lost right after the verifying write is made up for.
    await publishEvents([
      platformEvent({
        team_id: teamId,
        type: 'domain.verified',
        timestamp: checked.verified_at,
        seed: id,
        data: { domain_id: id, name: checked.name, verified_at: checked.verified_at, url: `/v1/domains/${id}` },
      }),
    ]);
  }
  return checked;
}

/** Deletes the SES identity first: if that fails the domain stays listed and the delete can be retried. */
export async function deleteDomain(teamId: string, id: string): Promise<void> {
  const domain = await getTeamDomain(teamId, id);
  await deleteIdentity(domain.name);
  if (!(await removeDomain(teamId, domain))) throw notFound('Domain');
}
