/**
 * Enrolling contacts in triggered campaigns and steering their runs from outside the state machine: a
 * trigger enrols (once, or again with re-entry), a goal event ends the run as converted, and a waited-for
 * event resumes a run in a new execution. Each run is a Step Functions execution of the one campaign state
 * machine (lib/campaign-state-machine.ts); its name is derived from the enrolment, so starting it twice
 * (a retried request) starts it once.
 */
import { createHash } from 'node:crypto';
import { ExecutionAlreadyExists, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { stepFunctions } from '../shared/clients.js';
import { config } from '../shared/config.js';
import type { Contact } from '../schemas/contacts.js';
import { campaignRoutes, type CampaignRoute, type RoutingSubject } from '../repositories/campaigns.js';
import { enroll, findEnrollment, finishEnrollment, type StoredEnrollment } from '../repositories/enrollments.js';

/** What one execution of the campaign state machine gets as input (and the step function as its state). */
export interface RunInput {
  team_id: string;
  campaign_id: string;
  contact_id: string;
  run: number;
  seq: number;
  /** The step to continue at; null starts at the first step. */
  step: string | null;
  /** When this invocation is due (ms): the deterministic time part of the ids of the emails it sends. */
  at: number;
  /** Set on an execution started by a waited-for event: it first takes the run over from the waiting one. */
  resume_event?: string;
}

export interface CampaignRef {
  id: string;
  name: string;
}

export function executionName(input: Pick<RunInput, 'campaign_id' | 'contact_id' | 'run' | 'seq'>): string {
  const digest = createHash('sha256').update(`${input.campaign_id}\n${input.contact_id}`).digest('hex').slice(0, 40);
  return `${input.run}-${input.seq}-${digest}`;
}

/** Starts the execution for this run and sequence; one that already exists (a retry) is left running. */
export async function startRun(input: RunInput): Promise<void> {
  try {
    await stepFunctions.send(
      new StartExecutionCommand({ stateMachineArn: config.campaignStateMachineArn, name: executionName(input), input: JSON.stringify(input) }),
    );
  } catch (error) {
    if (!(error instanceof ExecutionAlreadyExists)) throw error;
  }
}

/** The input of a run's current execution, continuing at `step` (null: the first step). */
const runInput = (e: StoredEnrollment, step: string | null): RunInput => ({ team_id: e.team_id, campaign_id: e.campaign_id, contact_id: e.contact_id, run: e.run, seq: e.seq, step, at: Date.parse(e.updated_at) });

/**
 * Enrols the contact in every active triggered campaign this trigger starts. `current`: the contact's
 * enrolments when the caller already read them (else a skipped campaign's enrolment is read). A campaign the contact is already in (or finished without
 * re-entry) is skipped; one whose enrolment is still `starting` (its start was interrupted) is started again.
 */
export async function enrolForTrigger(
  teamId: string,
  contact: Contact,
  trigger: RoutingSubject,
  current?: StoredEnrollment[],
  known?: CampaignRoute[],
): Promise<{ enrolled: CampaignRef[]; skipped: CampaignRef[] }> {
  const routes = (known ?? (await campaignRoutes(teamId, trigger))).filter((r) => r.role === 'trigger');
  const enrolled: CampaignRef[] = [];
  const skipped: CampaignRef[] = [];
  await Promise.all(
    routes.map(async (route) => {
      const ref = { id: route.campaign_id, name: route.name };
      const created = await enroll(teamId, contact, route);
      if (created) {
        await startRun(runInput(created, null));
        enrolled.push(ref);
        return;
      }
      const existing = current ? current.find((e) => e.campaign_id === route.campaign_id) : await findEnrollment(contact.id, route.campaign_id);
      if (existing?.status === 'starting') await startRun(runInput(existing, null));
      skipped.push(ref);
    }),
  );
  const byName = (a: CampaignRef, b: CampaignRef) => a.name.localeCompare(b.name);
  return { enrolled: enrolled.sort(byName), skipped: skipped.sort(byName) };
}

/** Ends, as converted, the contact's running enrolments in campaigns whose goal is this event. */
export async function endOnGoal(routes: CampaignRoute[], enrollments: StoredEnrollment[]): Promise<CampaignRef[]> {
  const goals = routes.filter((r) => r.role === 'goal');
  const ended: CampaignRef[] = [];
  await Promise.all(
    goals.map(async (goal) => {
      const running = enrollments.find((e) => e.campaign_id === goal.campaign_id && (e.status === 'active' || e.status === 'starting'));
      // By run, not execution: a conversion ends the run even if a resumed wait just moved it to a new execution.
      if (running && (await finishEnrollment({ ...running, seq: undefined }, { status: 'exited', reason: 'converted' }))) ended.push({ id: goal.campaign_id, name: goal.name });
    }),
  );
  return ended;
}

/**
 * Resumes the contact's runs that wait for this event: starts each run's next execution at the step after
 * its wait. The new execution takes the run over itself (conditionally, racing the wait's own timer), so a
 * failed start changes nothing and a retried event starts the same execution.
 */
export async function resumeWaitingRuns(event: string, enrollments: StoredEnrollment[]): Promise<number> {
  const waiting = enrollments.filter((e) => e.waiting_for === event && e.status === 'active');
  await Promise.all(waiting.map((e) => startRun({ ...runInput(e, e.resume_step), seq: e.seq + 1, resume_event: event })));
  return waiting.length;
}
