import { idempotentHttpHandler } from '../../shared/http/idempotency.js';
import { CreateCampaignBody } from '../../schemas/campaigns.js';
import { createCampaign } from '../../repositories/campaigns.js';

/** Campaigns start as drafts; launch makes them run. */
export const handler = idempotentHttpHandler('campaigns.create', { body: CreateCampaignBody }, async ({ body, principal, setResourceId }) => {
  const campaign = await createCampaign(principal.teamId!, body);
  setResourceId(campaign.id);
  return { status: 201, body: campaign, etag: campaign.version };
});
