import { httpHandler } from '../../shared/http/handler.js';
import { TeamParams } from '../../schemas/teams.js';
import { getTeam } from '../../repositories/teams.js';

export const handler = httpHandler('teams.get', { params: TeamParams }, async ({ params }) => {
  const team = await getTeam(params.id);
  return { status: 200, body: team, etag: team.version };
});
