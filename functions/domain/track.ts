/**
 * Tracking an event for a contact (POST /v1/events, test events, conversions): creates a minimal contact if
 * the address is new, stores the event on the contact's timeline and in its event summary, ends runs whose
 * goal it is, resumes runs waiting for it, and enrols the contact in the campaigns it triggers.
 * AWS calls with no campaign involved: 1 GetItem (address), 1 Query (contact + enrolments), 1 transaction
 * (event + summary), 1 Query (campaign routing) — a new contact adds its creating transaction.
 */
import { ApiError } from '../shared/errors.js';
import type { Contact } from '../schemas/contacts.js';
import type { ContactEvent } from '../schemas/events.js';
import { campaignRoutes } from '../repositories/campaigns.js';
import { findContactIdByEmail, identifyContact } from '../repositories/contacts.js';
import { contactWithEnrollments, recordContactEvent, type StoredEnrollment } from '../repositories/enrollments.js';
import { announceContactChange } from './contacts.js';
import { endOnGoal, enrolForTrigger, resumeWaitingRuns, type CampaignRef } from './enrolments.js';

const ATTEMPTS = 5;

export interface TrackOutcome {
  contact: Contact;
  contact_created: boolean;
  event: ContactEvent;
  enrolled: CampaignRef[];
  skipped: CampaignRef[];
  converted: CampaignRef[];
  resumed: number;
}

/** The team's contact with this address and its enrolments, creating a minimal contact (email, source) if there is none. */
export async function loadOrCreateContact(teamId: string, email: string, source: string): Promise<{ contact: Contact; created: boolean; enrollments: StoredEnrollment[] }> {
  const id = await findContactIdByEmail(teamId, email);
  if (id) {
    const { contact, enrollments } = await contactWithEnrollments(id);
    if (contact && contact.team_id === teamId) return { contact, created: false, enrollments };
  }
  const { before, contact } = await identifyContact(teamId, { email, source });
  if (!before) await announceContactChange(teamId, undefined, contact);
  return { contact, created: !before, enrollments: [] };
}

export async function trackEvent(
  teamId: string,
  input: { email: string; event: string; data?: Record<string, unknown>; timestamp?: string },
  options: { source?: string; seed?: string } = {},
): Promise<TrackOutcome> {
  const at = input.timestamp ? Date.parse(input.timestamp) : Date.now();
  let created = false;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const loaded = await loadOrCreateContact(teamId, input.email, 'api');
    created ||= loaded.created;
    const recorded = await recordContactEvent(teamId, loaded.contact, { event: input.event, data: input.data ?? {}, source: options.source ?? 'api', at, seed: options.seed }).catch((error) => {
      if (error instanceof Error && error.name === 'ContactChanged') return undefined;
      throw error;
    });
    if (!recorded) continue;
    const routes = await campaignRoutes(teamId, { event: input.event });
    const converted = await endOnGoal(routes, loaded.enrollments);
    const resumed = await resumeWaitingRuns(input.event, loaded.enrollments);
    const stillRunning = loaded.enrollments.map((e) => (converted.some((c) => c.id === e.campaign_id) ? { ...e, status: 'exited' as const } : e));
    const { enrolled, skipped } = await enrolForTrigger(teamId, recorded.contact, { event: input.event }, stillRunning, routes);
    return { contact: recorded.contact, contact_created: created, event: recorded.event, enrolled, skipped, converted, resumed };
  }
  throw new ApiError('conflict', 'This contact is being changed by other requests at the same time; retry.', { retryable: true });
}
