import { httpHandler } from '../../shared/http/handler.js';
import { ListCampaignsQuery } from '../../schemas/campaigns.js';
import { listCampaigns } from '../../repositories/campaigns.js';
import { withDeliveryProgress } from '../../domain/campaign-progress.js';

/** Broadcasts on the page get their sent/failed progress from their stats counters (one Query each). */
export const handler = httpHandler('campaigns.list', { query: ListCampaignsQuery }, async ({ query, principal }) => {
  const page = await listCampaigns(principal.teamId!, query);
  return { status: 200, body: { ...page, data: await Promise.all(page.data.map((campaign) => withDeliveryProgress(principal.teamId!, campaign))) } };
});
