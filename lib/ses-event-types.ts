/**
 * Which SES events each configuration set publishes, by their SES v2 API names (the local runtime provisions
 * them through the API; lib/constructs/ses-sending.ts declares the same split with CDK's enum). SES adds the
 * open pixel and rewrites links only for configuration sets whose event destinations match OPEN or CLICK, so
 * the untracked set leaves those two out: that is what makes it untracked. Keep this file free of CDK imports.
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

export const TRACKED_EVENT_TYPES: readonly SesEventType[] = SES_EVENT_TYPES;
export const UNTRACKED_EVENT_TYPES: readonly SesEventType[] = SES_EVENT_TYPES.filter((type) => type !== 'OPEN' && type !== 'CLICK');

/** Name of the SNS event destination on both configuration sets. */
export const SES_EVENT_DESTINATION_NAME = 'mailroom-events';
