/**
 * A broadcast's progress as the API shows it. Kept apart from domain/broadcasts.ts so that reading a campaign
 * does not bundle the send path (template engine, MIME) into the read routes.
 */
import type { Campaign } from '../schemas/campaigns.js';
import { campaignTotals } from '../repositories/stats.js';

/** The campaign with its broadcast progress complete: sent and failed come from the campaign's stats counters. */
export async function withDeliveryProgress(teamId: string, campaign: Campaign): Promise<Campaign> {
  if (!campaign.progress) return campaign;
  const totals = await campaignTotals(teamId, campaign.id);
  return { ...campaign, progress: { ...campaign.progress, sent: totals.sent, failed: totals.failed } };
}
