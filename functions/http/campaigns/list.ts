import { httpHandler } from '../../shared/http/handler.js';
import { ListCampaignsQuery } from '../../schemas/campaigns.js';
import { listCampaigns } from '../../repositories/campaigns.js';

export const handler = httpHandler('campaigns.list', { query: ListCampaignsQuery }, async ({ query, principal }) => ({
  status: 200,
  body: await listCampaigns(principal.teamId!, query),
}));
