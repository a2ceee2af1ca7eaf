import { httpHandler } from '../../shared/http/handler.js';
import { getTeamApiKey } from '../../repositories/api-keys.js';
import { getTeam } from '../../repositories/teams.js';

export const handler = httpHandler('me.get', {}, async ({ principal }) => {
  if (principal.kind === 'root') return { status: 200, body: { kind: 'root', key_id: 'root', scopes: principal.scopes, team: null } };
  const [team, key] = await Promise.all([getTeam(principal.teamId), getTeamApiKey(principal.teamId, principal.keyId)]);
  return {
    status: 200,
    body: {
      kind: principal.kind,
      key_id: key.id,
      key_name: key.name,
      scopes: key.scopes,
      inbox_id: key.inbox_id,
      team: { id: team.id, slug: team.slug, name: team.name },
    },
  };
});
