import { httpHandler } from '../../shared/http/handler.js';
import { TeamParams, UpdateTeamBody } from '../../schemas/teams.js';
import { updateTeam } from '../../repositories/teams.js';

export const handler = httpHandler('teams.update', { params: TeamParams, body: UpdateTeamBody }, async ({ params, body, ifMatch }) => {
  const team = await updateTeam(params.id, body, ifMatch);
  return { status: 200, body: team, etag: team.version };
});
