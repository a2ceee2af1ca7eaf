import { httpHandler } from '../../shared/http/handler.js';
import { CampaignStatsParams, StatsQuery } from '../../schemas/stats.js';
import { campaignDayTallies } from '../../repositories/stats.js';
import { getTeamCampaign } from '../../repositories/campaigns.js';
import { buildReport } from '../../domain/stats.js';

/** One campaign's counters per UTC day: emails it sent and the conversions attributed to them. */
export const handler = httpHandler('campaign-stats.get', { params: CampaignStatsParams, query: StatsQuery }, async ({ params, query, principal }) => {
  await getTeamCampaign(principal.teamId!, params.id);
  return { status: 200, body: buildReport(query.from, query.to, await campaignDayTallies(principal.teamId!, params.id, query.from, query.to)) };
});
