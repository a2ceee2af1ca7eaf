/**
 * The campaign state machine's step task (invoked by Step Functions with the execution's state). Errors
 * thrown here are retried by the state machine's Retry policy; what a retry cannot fix ends the enrolment.
 */
import { logger } from '../shared/logger.js';
import { publishMetrics } from '../shared/metrics.js';
import type { RunInput } from '../domain/enrolments.js';
import { recordRunFailure, runSteps, type RunOutput } from '../domain/campaign-runner.js';

/** Both task states invoke this function: RecordFailure's input carries the caught error in `failure`. */
export async function handler(input: RunInput & { failure?: { Error?: string; Cause?: string } }): Promise<RunOutput> {
  logger.appendKeys({ team_id: input.team_id, campaign_id: input.campaign_id, contact_id: input.contact_id });
  try {
    if (input.failure) return await recordRunFailure(input);
    return await runSteps(input);
  } finally {
    logger.removeKeys(['team_id', 'campaign_id', 'contact_id']);
    publishMetrics();
  }
}
