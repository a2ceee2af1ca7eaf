import { httpHandler } from '../../shared/http/handler.js';
import { StatsQuery } from '../../schemas/stats.js';
import { teamDayTallies } from '../../repositories/stats.js';
import { buildReport } from '../../domain/stats.js';

/** The team's counters per UTC day, totals and rates (one Query). */
export const handler = httpHandler('stats.get', { query: StatsQuery }, async ({ query, principal }) => ({
  status: 200,
  body: buildReport(query.from, query.to, await teamDayTallies(principal.teamId!, query.from, query.to)),
}));
