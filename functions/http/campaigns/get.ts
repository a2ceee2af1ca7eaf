import { httpHandler } from '../../shared/http/handler.js';
import { CampaignParams } from '../../schemas/campaigns.js';
import { getTeamCampaign } from '../../repositories/campaigns.js';

export const handler = httpHandler('campaigns.get', { params: CampaignParams }, async ({ params, principal }) => {
  const campaign = await getTeamCampaign(principal.teamId!, params.id);
  return { status: 200, body: campaign, etag: campaign.version };
});
