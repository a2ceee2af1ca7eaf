import * as z from 'zod';
import { idOf, ListQuery, Timestamp } from './common.js';
import { defineRoutes } from './contract.js';
import { EventName } from './conditions.js';
import { EmailAddress } from './emails.js';

const MAX_EVENT_DATA_BYTES = 8 * 1024;

export const TrackEventBody = z.strictObject({
  email: EmailAddress.describe('The contact; created (email only, source "api") if the team has none with this address.'),
  event: EventName.describe('Matched against the trigger and goal events of active triggered campaigns.'),
  data: z
    .record(z.string().min(1).max(100), z.unknown())
    .superRefine((value, ctx) => {
      const bytes = Buffer.byteLength(JSON.stringify(value));
      if (bytes > MAX_EVENT_DATA_BYTES) ctx.addIssue({ code: 'custom', message: `data must be at most ${MAX_EVENT_DATA_BYTES} bytes as JSON (got ${bytes}).` });
    })
    .optional()
    .describe('Stored with the event on the contact timeline.'),
  timestamp: Timestamp.optional().describe('When it happened (default now); at most 5 minutes in the future.'),
}).superRefine((body, ctx) => {
  if (body.timestamp && Date.parse(body.timestamp) > Date.now() + 300_000) ctx.addIssue({ code: 'custom', path: ['timestamp'], message: 'timestamp must not be in the future.' });
});
export type TrackEventBody = z.output<typeof TrackEventBody>;

const CampaignRef = z.object({ id: idOf('campaign'), name: z.string() });

export const TrackEventResult = z
  .object({
    event: z.string(),
    event_id: idOf('contactEvent').describe('The event on the contact\'s timeline (GET /v1/contacts/{id}/events).'),
    contact_id: idOf('contact'),
    contact_created: z.boolean().describe('The address was new: a contact (email only, source "api") was created.'),
    enrollments_created: z.number().int(),
    enrolled_campaigns: z.array(z.string()).describe('Names of the campaigns the contact was enrolled in.'),
    skipped_campaigns: z.array(z.string()).describe('Names of matching campaigns the contact is already (or was, without re-entry) in.'),
    converted_campaigns: z.array(z.string()).describe('Names of campaigns whose goal this event is: their enrolments ended as converted.'),
    resumed_enrollments: z.number().int().describe('Enrolments that were waiting for this event and continue now.'),
    campaigns: z
      .object({ enrolled: z.array(CampaignRef), skipped: z.array(CampaignRef), converted: z.array(CampaignRef) })
      .describe('The same campaigns as the name lists, with their ids.'),
  })
  .meta({ id: 'TrackEventResult' });
export type TrackEventResult = z.infer<typeof TrackEventResult>;

export const ContactEventsParams = z.strictObject({ id: idOf('contact') });
export const ListContactEventsQuery = ListQuery.extend({ event: EventName.optional().describe('Only events with this name.') });

/** One tracked event on a contact's timeline. */
export const ContactEvent = z
  .object({
    id: idOf('contactEvent'),
    event: z.string(),
    data: z.record(z.string(), z.unknown()).describe('What was tracked with the event.'),
    source: z.string().describe('"api" (POST /v1/events), "conversion" (a recorded conversion) or "test" (a campaign test event).'),
    at: Timestamp.describe('When it happened (the timestamp given when it was tracked, else when it was received).'),
  })
  .meta({ id: 'ContactEvent' });
export type ContactEvent = z.infer<typeof ContactEvent>;

export const EVENT_ROUTES = defineRoutes({
  'events.track': {
    summary: 'Track an event for a contact',
    description:
      'Records the event on the contact\'s timeline and event summary (creating the contact if the address is new), ends the enrolments of campaigns ' +
      'whose goal it is (converted), resumes runs waiting for it and enrols the contact in the campaigns it triggers. ' +
      'With an `Idempotency-Key` a retry is answered from the first request and records nothing twice.',
    body: TrackEventBody,
    responses: { 200: TrackEventResult },
    errors: ['conflict'],
  },
});
