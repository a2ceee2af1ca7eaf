/**
 * The automatic pause's defaults and variable names, apart from lib/auto-pause.ts's context schema: every
 * function reads these (functions/shared/config.ts), and importing zod's schema builder for them would put
 * zod in bundles that have no other use for it.
 */

/** SES's review thresholds for an account's bounce and complaint rates: the alarms' and, by default, each team's limit. */
export const SES_REVIEW_RATES = { bounce: 0.05, complaint: 0.001 } as const;

/** The variables that carry the settings to the functions (functions/shared/config.ts autoPause). */
export const AUTO_PAUSE_ENV = { bounceRate: 'TEAM_PAUSE_BOUNCE_RATE', complaintRate: 'TEAM_PAUSE_COMPLAINT_RATE', minSends: 'TEAM_PAUSE_MIN_SENDS' } as const;

export const DEFAULT_MIN_SENDS = 200;
