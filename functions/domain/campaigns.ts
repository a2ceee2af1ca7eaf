/**
 * Campaign lifecycle: what launching, pausing, resuming, archiving and canceling mean beyond the status
 * change (repositories/campaigns.ts). A triggered campaign is checked before launch (every template it sends
 * exists); its running enrolments notice a pause or archive at their next step and exit with the reason.
 * A broadcast's launch, pause, resume and cancel also move its pages (domain/broadcasts.ts).
 */
import { ApiError } from '../shared/errors.js';
import { findTemplate } from '../repositories/templates.js';
import { getTeamCampaign, transitionCampaign, type CampaignAction } from '../repositories/campaigns.js';
import { recordContactEvent } from '../repositories/enrollments.js';
import type { Campaign, ResolvedStep } from '../schemas/campaigns.js';
import { cancelBroadcast, launchBroadcast, pauseBroadcast, resumeBroadcast } from './broadcasts.js';
import { withDeliveryProgress } from './campaign-progress.js';
import { enrolForTrigger, type CampaignRef } from './enrolments.js';
import { loadOrCreateContact } from './track.js';

async function checkTemplates(teamId: string, steps: ResolvedStep[]): Promise<void> {
  const sends = steps.flatMap((step, index) => (step.type === 'send' ? [{ step, index }] : []));
  const found = await Promise.all(sends.map(({ step }) => findTemplate(teamId, step.template_id)));
  const missing = sends.filter((_, i) => !('template' in found[i]!));
  if (missing.length) {
    throw new ApiError('validation_error', `Step ${missing[0]!.step.id} sends template ${(missing[0]!.step as { template_id: string }).template_id}, which does not exist.`, {
      param: `steps.${missing[0]!.index}.template_id`,
      errors: missing.map(({ step, index }) => ({ field: `steps.${index}.template_id`, code: 'not_found', message: `Template ${(step as { template_id: string }).template_id} does not exist.` })),
    });
  }
}

export async function changeCampaignStatus(teamId: string, id: string, action: CampaignAction): Promise<Campaign> {
  const current = await getTeamCampaign(teamId, id);
  if (current.kind === 'broadcast') {
    // A broadcast's lifecycle moves its page queue too (domain/broadcasts.ts).
    const broadcastAction = { launch: launchBroadcast, pause: pauseBroadcast, resume: resumeBroadcast, cancel: cancelBroadcast }[action as string];
    if (broadcastAction) return withDeliveryProgress(teamId, await broadcastAction(teamId, current));
  } else if (action === 'launch' && current.status === 'draft') {
    await checkTemplates(teamId, current.steps as ResolvedStep[]);
  }
  const { campaign } = await transitionCampaign(teamId, id, action, {}, current);
  return campaign.kind === 'broadcast' ? withDeliveryProgress(teamId, campaign) : campaign;
}

/**
 * Enrols a contact (created if needed) in this one active triggered campaign, as its trigger would, and
 * records a `test` event on the contact's timeline. Other campaigns are not touched.
 */
export async function sendTestEvent(teamId: string, id: string, input: { email: string; data?: Record<string, unknown> }): Promise<{ contact_id: string; contact_created: boolean; enrolled: CampaignRef[]; skipped: CampaignRef[] }> {
  const campaign = await getTeamCampaign(teamId, id);
  if (campaign.kind !== 'triggered') throw new ApiError('validation_error', 'Test events apply to triggered campaigns.', { param: 'id' });
  if (campaign.status !== 'active') throw new ApiError('conflict', `This campaign is ${campaign.status}; launch it (or resume it) before sending a test event.`, { param: 'id' });
  const { contact, created, enrollments } = await loadOrCreateContact(teamId, input.email, 'test');
  const eventName = campaign.trigger?.event ?? 'campaign.test';
  await recordContactEvent(teamId, contact, { event: eventName, data: { ...input.data, campaign_id: id }, source: 'test', at: Date.now() }).catch((error) => {
    // A concurrent change of the contact only loses the timeline entry of a test, never the enrolment.
    if (!(error instanceof Error && error.name === 'ContactChanged')) throw error;
  });
  // Enrolled as this campaign's own trigger would (and only in it): the route is the campaign itself.
  const route = { role: 'trigger' as const, campaign_id: campaign.id, name: campaign.name, definition_version: campaign.definition_version, allow_reentry: campaign.allow_reentry };
  const { enrolled, skipped } = await enrolForTrigger(teamId, contact, { event: eventName }, enrollments, [route]);
  return { contact_id: contact.id, contact_created: created, enrolled, skipped };
}
