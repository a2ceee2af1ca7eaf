import { httpHandler } from '../../shared/http/handler.js';
import { CampaignParams, UpdateCampaignBody } from '../../schemas/campaigns.js';
import { updateCampaign } from '../../repositories/campaigns.js';

/** Changing the steps of a running campaign makes a new definition version; running enrolments keep theirs. */
export const handler = httpHandler('campaigns.update', { params: CampaignParams, body: UpdateCampaignBody }, async ({ params, body, principal, ifMatch }) => {
  const campaign = await updateCampaign(principal.teamId!, params.id, body, ifMatch);
  return { status: 200, body: campaign, etag: campaign.version };
});
