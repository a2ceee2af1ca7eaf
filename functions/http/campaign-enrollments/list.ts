import { httpHandler } from '../../shared/http/handler.js';
import { CampaignParams, ListEnrollmentsQuery } from '../../schemas/campaigns.js';
import { getTeamCampaign } from '../../repositories/campaigns.js';
import { listCampaignEnrollments } from '../../repositories/enrollments.js';

export const handler = httpHandler('campaign-enrollments.list', { params: CampaignParams, query: ListEnrollmentsQuery }, async ({ params, query, principal }) => {
  await getTeamCampaign(principal.teamId!, params.id);
  return { status: 200, body: await listCampaignEnrollments(params.id, query) };
});
