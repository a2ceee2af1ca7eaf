/**
 * Automatic pause of a team's sending when its own bounce or complaint rate crosses a limit, before the
 * account-wide SES rates do. The limits are deploy configuration (cdk.json context `autoPause`, a stack prop)
 * that every function receives as environment variables; functions/ does the pausing, and with the variables
 * unset it never pauses.
 */
import { z } from 'zod';
import { AUTO_PAUSE_ENV, DEFAULT_MIN_SENDS, SES_REVIEW_RATES } from './auto-pause-defaults.js';

export const autoPauseSchema = z
  .object({
    /** Share of a team's sends that bounced. */
    bounceRate: z.number().gt(0).max(1).default(SES_REVIEW_RATES.bounce),
    /** Share of a team's sends reported as spam. */
    complaintRate: z.number().gt(0).max(1).default(SES_REVIEW_RATES.complaint),
    /** Sends a team must have made before its rates count, so a few early bounces pause nobody. */
    minSends: z.number().int().positive().default(DEFAULT_MIN_SENDS),
  })
  .strict();

export type AutoPauseSettings = z.output<typeof autoPauseSchema>;

export const DEFAULT_AUTO_PAUSE: AutoPauseSettings = autoPauseSchema.parse({});

/**
 * The `autoPause` context value: absent or `true` → the defaults, `false` → off, an object (from cdk.json,
 * or its JSON from `-c autoPause='{…}'`) → the defaults with its fields overriding them.
 */
export function parseAutoPause(value: unknown): AutoPauseSettings | false {
  if (value === undefined || value === true || value === 'true') return DEFAULT_AUTO_PAUSE;
  if (value === false || value === 'false') return false;
  const settings = typeof value === 'string' ? JSON.parse(value) : value;
  const parsed = autoPauseSchema.safeParse(settings);
  if (!parsed.success) throw new Error(`Invalid autoPause context: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** The variables functions/ reads; none at all when the pause is off. */
export function autoPauseEnvironment(settings: AutoPauseSettings | false): Record<string, string> {
  if (!settings) return {};
  return {
    [AUTO_PAUSE_ENV.bounceRate]: String(settings.bounceRate),
    [AUTO_PAUSE_ENV.complaintRate]: String(settings.complaintRate),
    [AUTO_PAUSE_ENV.minSends]: String(settings.minSends),
  };
}
