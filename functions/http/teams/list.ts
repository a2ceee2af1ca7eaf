import { httpHandler } from '../../shared/http/handler.js';
import { ListTeamsQuery } from '../../schemas/teams.js';
import { listTeams } from '../../repositories/teams.js';

export const handler = httpHandler('teams.list', { query: ListTeamsQuery }, async ({ query }) => ({
  status: 200,
  body: await listTeams(query),
}));
