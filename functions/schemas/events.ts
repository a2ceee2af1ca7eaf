import * as z from 'zod';
import { idOf, ListQuery, Timestamp } from './common.js';
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

const CampaignRef = z.object({ id: z.string(), name: z.string() });

export const TrackEventResult = z.object({
  event: z.string(),
  event_id: z.string(),
  contact_id: z.string(),
  contact_created: z.boolean(),
  enrollments_created: z.number().int(),
  enrolled_campaigns: z.array(z.string()).describe('Names of the campaigns the contact was enrolled in.'),
  skipped_campaigns: z.array(z.string()).describe('Names of matching campaigns the contact is already (or was, without re-entry) in.'),
  converted_campaigns: z.array(z.string()).describe('Names of campaigns whose goal this event is: their enrolments ended as converted.'),
  resumed_enrollments: z.number().int().describe('Enrolments that were waiting for this event and continue now.'),
  campaigns: z.object({ enrolled: z.array(CampaignRef), skipped: z.array(CampaignRef), converted: z.array(CampaignRef) }),
});
export type TrackEventResult = z.infer<typeof TrackEventResult>;

export const ContactEventsParams = z.strictObject({ id: idOf('contact') });
export const ListContactEventsQuery = ListQuery.extend({ event: EventName.optional() });
