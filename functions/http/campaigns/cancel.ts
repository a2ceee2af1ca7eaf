import { httpHandler } from '../../shared/http/handler.js';
import { CampaignParams } from '../../schemas/campaigns.js';
import { changeCampaignStatus } from '../../domain/campaigns.js';

export const handler = httpHandler('campaigns.cancel', { params: CampaignParams }, async ({ params, principal }) => {
  const campaign = await changeCampaignStatus(principal.teamId!, params.id, 'cancel');
  return { status: 200, body: campaign, etag: campaign.version };
});
