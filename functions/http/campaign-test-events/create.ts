import { idempotentHttpHandler } from '../../shared/http/idempotency.js';
import { CampaignParams, TestEventBody, type TestEventResult } from '../../schemas/campaigns.js';
import { sendTestEvent } from '../../domain/campaigns.js';

/** Enrols one contact in this campaign as its trigger would (for trying a campaign out). */
export const handler = idempotentHttpHandler('campaign-test-events.create', { params: CampaignParams, body: TestEventBody }, async ({ params, body, principal }) => {
  const outcome = await sendTestEvent(principal.teamId!, params.id, body);
  return {
    status: 200,
    body: { contact_id: outcome.contact_id, contact_created: outcome.contact_created, enrolled: outcome.enrolled.length > 0, enrolled_campaigns: outcome.enrolled.map((c) => c.name), skipped_campaigns: outcome.skipped.map((c) => c.name) } satisfies TestEventResult,
  };
});
