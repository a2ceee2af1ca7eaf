import { idempotentHttpHandler } from '../../shared/http/idempotency.js';
import { TrackEventBody, type TrackEventResult } from '../../schemas/events.js';
import { trackEvent } from '../../domain/track.js';

const names = (refs: { name: string }[]) => refs.map((r) => r.name);

/** Records the event for the contact (created if new) and runs the campaigns it triggers, ends or resumes. */
export const handler = idempotentHttpHandler('events.track', { body: TrackEventBody }, async ({ body, principal, setResourceId }) => {
  const outcome = await trackEvent(principal.teamId!, body);
  setResourceId(outcome.event.id);
  const result: TrackEventResult = {
    event: body.event,
    event_id: outcome.event.id,
    contact_id: outcome.contact.id,
    contact_created: outcome.contact_created,
    enrollments_created: outcome.enrolled.length,
    enrolled_campaigns: names(outcome.enrolled),
    skipped_campaigns: names(outcome.skipped),
    converted_campaigns: names(outcome.converted),
    resumed_enrollments: outcome.resumed,
    campaigns: { enrolled: outcome.enrolled, skipped: outcome.skipped, converted: outcome.converted },
  };
  return { status: 200, body: result };
});
