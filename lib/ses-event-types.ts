/**
 * The events SES can publish (SES_EVENT_TYPES) and which of them each configuration set publishes, by their
 * SES v2 API names (the local runtime provisions them through the API, lib/constructs/ses-sending.ts maps them
 * to CDK's enum). SES adds the
 * open pixel and rewrites links only for configuration sets whose event destinations match OPEN or CLICK, so
 * the untracked set leaves those two out: that is what makes it untracked. SEND is not subscribed: the sender
 * records the send itself from SES's answer, and a Send event per email would cost an SNS publish, an SQS
 * message and a worker write for nothing new (functions/domain/ses-events.ts still applies one if it comes).
 * Keep this file free of CDK imports.
 */
export const SES_EVENT_TYPES = [
  'SEND',
  'REJECT',
  'BOUNCE',
  'COMPLAINT',
  'DELIVERY',
  'OPEN',
  'CLICK',
  'RENDERING_FAILURE',
  'DELIVERY_DELAY',
  'SUBSCRIPTION',
] as const;
export type SesEventType = (typeof SES_EVENT_TYPES)[number];

export const TRACKED_EVENT_TYPES: readonly SesEventType[] = SES_EVENT_TYPES.filter((type) => type !== 'SEND');
export const UNTRACKED_EVENT_TYPES: readonly SesEventType[] = TRACKED_EVENT_TYPES.filter((type) => type !== 'OPEN' && type !== 'CLICK');

/** Name of the SNS event destination on both configuration sets. */
export const SES_EVENT_DESTINATION_NAME = 'mailroom-events';
