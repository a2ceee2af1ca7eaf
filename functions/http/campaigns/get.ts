import { httpHandler } from '../../shared/http/handler.js';
import { CampaignParams } from '../../schemas/campaigns.js';
import { getTeamCampaign } from '../../repositories/campaigns.js';
import { withDeliveryProgress } from '../../domain/campaign-progress.js';

export const handler = httpHandler('campaigns.get', { params: CampaignParams }, async ({ params, principal }) => {
  const campaign = await withDeliveryProgress(principal.teamId!, await getTeamCampaign(principal.teamId!, params.id));
  return { status: 200, body: campaign, etag: campaign.version };
});
