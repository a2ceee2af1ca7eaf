/**
 * The campaign state machine's step task (invoked by Step Functions with the execution's state). Errors
 * thrown here are retried by the state machine's Retry policy; what a retry cannot fix ends the enrolment.
 */
import { logger } from '../shared/logger.js';
import type { RunInput } from '../domain/enrolments.js';
import { runSteps, type RunOutput } from '../domain/campaign-runner.js';

export async function handler(input: RunInput): Promise<RunOutput> {
  logger.appendKeys({ team_id: input.team_id, campaign_id: input.campaign_id, contact_id: input.contact_id });
  try {
    return await runSteps(input);
  } finally {
    logger.removeKeys(['team_id', 'campaign_id', 'contact_id']);
  }
}
