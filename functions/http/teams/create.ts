import { idempotentHttpHandler } from '../../shared/http/idempotency.js';
import { newId } from '../../shared/ids.js';
import { CreateTeamBody } from '../../schemas/teams.js';
import { createTeam } from '../../repositories/teams.js';
import { apiKeyPut } from '../../repositories/api-keys.js';
import { mintApiKey } from '../../domain/api-keys.js';

export const handler = idempotentHttpHandler('teams.create', { body: CreateTeamBody }, async ({ body, setResourceId }) => {
  const teamId = newId('team');
  const { record, token } = await mintApiKey({ team_id: teamId, kind: 'team', name: 'Initial admin key', scopes: ['admin'] });
  const { key, put } = apiKeyPut(record);
  const team = await createTeam({ id: teamId, ...body }, [put]);
  setResourceId(team.id);
  return { status: 201, body: { ...team, api_key: { ...key, key: token } }, etag: team.version };
});
