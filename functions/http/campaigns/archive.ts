import { httpHandler } from '../../shared/http/handler.js';
import { CampaignParams } from '../../schemas/campaigns.js';
import { changeCampaignStatus } from '../../domain/campaigns.js';

export const handler = httpHandler('campaigns.archive', { params: CampaignParams }, async ({ params, principal }) => {
  const campaign = await changeCampaignStatus(principal.teamId!, params.id, 'archive');
  return { status: 200, body: campaign, etag: campaign.version };
});
