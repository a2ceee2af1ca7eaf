/**
 * One invocation of the campaign state machine's step task: runs a contact's enrolment from its current step
 * through every step that does not wait (sends, branches, contact updates), and stops at the next wait (the
 * state machine's Wait state sleeps, then invokes this again) or at the end. Before acting it checks that the
 * invocation is still current (run and execution sequence), the campaign still active and the contact still
 * subscribed; otherwise the enrolment exits with the reason (a suppressed address exits it at its next send,
 * where the send path checks suppressions anyway). Sends use ids derived from
 * the invocation, so a retried invocation never sends twice.
 */
import { deterministicId } from '../shared/ids.js';
import { logger } from '../shared/logger.js';
import type { Contact } from '../schemas/contacts.js';
import type { Enrollment, ResolvedStep } from '../schemas/campaigns.js';
import { findCampaignItem, getDefinition } from '../repositories/campaigns.js';
import { identifyContact } from '../repositories/contacts.js';
import { findEmail } from '../repositories/emails.js';
import { claimWake, contactWithEnrollments, finishEnrollment, recordProgress, resumeWaiting } from '../repositories/enrollments.js';
import { evaluateCondition } from './conditions.js';
import { announceContactChange } from './contacts.js';
import { campaignEmail, sendRefusal } from './campaign-email.js';
import type { RunInput } from './enrolments.js';
import { acceptEmails } from './send-email.js';

/** Steps one invocation may pass without waiting: a branch loop without a wait ends the run instead of spinning. */
export const MAX_STEPS_PER_INVOCATION = 100;
/** Where the step after the last one points (step ids cannot contain "$"): the run completes there. */
const END_OF_STEPS = '$end';

export interface RunOutput extends RunInput {
  action: 'wait' | 'done';
  /** Seconds the state machine's Wait state sleeps before the next invocation (action `wait`). */
  wait_seconds?: number;
}

/** Definitions never change once written: one read per version per container. */
const definitions = new Map<string, Promise<ResolvedStep[]>>();
function definition(campaignId: string, version: number): Promise<ResolvedStep[]> {
  const key = `${campaignId}#${version}`;
  let steps = definitions.get(key);
  if (!steps) {
    steps = getDefinition(campaignId, version);
    steps.catch(() => definitions.delete(key));
    definitions.set(key, steps);
  }
  return steps;
}

function zonedParts(time: number, timeZone: string) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' })
      .formatToParts(time)
      .map((p) => [p.type, Number(p.value)]),
  );
  return { year: parts.year!, month: parts.month!, day: parts.day!, hour: parts.hour!, minute: parts.minute!, second: parts.second! };
}

/** The next moment strictly after `now` when the wall clock in `timeZone` shows `hh:mm` (DST-aware). */
export function nextLocalTime(hhmm: string, timeZone: string, now: number): number {
  const [hour, minute] = hhmm.split(':').map(Number) as [number, number];
  const today = zonedParts(now, timeZone);
  for (let dayOffset = 0; dayOffset <= 2; dayOffset++) {
    const wall = Date.UTC(today.year, today.month - 1, today.day + dayOffset, hour, minute);
    // The zone's offset at (about) that moment, refined once for days that cross a DST change.
    let guess = wall;
    for (let i = 0; i < 2; i++) {
      const p = zonedParts(guess, timeZone);
      const offset = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - guess;
      guess = wall - offset;
    }
    if (guess > now) return guess;
  }
  return now + 86_400_000;
}

type SendOutcome = { kind: 'sent' } | { kind: 'suppressed' } | { kind: 'failed'; error: string } | { kind: 'retry_at'; at: number };

async function sendStep(input: RunInput, contact: Contact, step: Extract<ResolvedStep, { type: 'send' }>, hop: number): Promise<SendOutcome> {
  const seed = [input.campaign_id, input.contact_id, input.run, input.seq, step.id, hop].join('\n');
  const id = deterministicId('email', input.at + hop, seed);
  if (await findEmail(id)) return { kind: 'sent' };
  const body = campaignEmail(input.campaign_id, contact, step);
  try {
    const [result] = await acceptEmails(input.team_id, [body], { ids: [id] });
    if (result!.ok) return { kind: 'sent' };
    return result!.error.code === 'all_recipients_suppressed' ? { kind: 'suppressed' } : { kind: 'failed', error: result!.error.message };
  } catch (error) {
    // Throttling and unavailability are thrown for the state machine's retries; a broken send (deleted
    // template, unverified domain) ends the enrolment with the reason.
    const refusal = sendRefusal(error);
    if ('retryAt' in refusal) return { kind: 'retry_at', at: refusal.retryAt };
    logger.warn('campaign send failed', { campaign_id: input.campaign_id, step: step.id, code: refusal.broken.code });
    return { kind: 'failed', error: `${step.id}: ${refusal.broken.message}` };
  }
}

/**
 * The state machine's Catch: the step task kept failing (retries exhausted). Ends the run as exited with
 * reason `error` if this execution still owns it, so it is visible and a re-entry may enrol the contact again.
 */
export async function recordRunFailure(input: RunInput & { failure?: { Error?: string; Cause?: string } }): Promise<RunOutput> {
  const cause = [input.failure?.Error, input.failure?.Cause].filter(Boolean).join(': ').slice(0, 500);
  await finishEnrollment(
    // Only if this execution owns the run: a resuming execution that failed before taking over leaves the
    // waiting one (and its timer) in charge.
    { contact_id: input.contact_id, campaign_id: input.campaign_id, run: input.run, seq: input.seq },
    { status: 'exited', reason: 'error', error: cause || 'The campaign step kept failing.' },
  );
  return { ...input, action: 'done' };
}

export async function runSteps(input: RunInput, now = Date.now()): Promise<RunOutput> {
  const done: RunOutput = { ...input, action: 'done' };
  const { contact, enrollments } = await contactWithEnrollments(input.contact_id);
  let enrollment = enrollments.find((e) => e.campaign_id === input.campaign_id);
  if (!enrollment) return done;
  const sameRun = enrollment.run === input.run && enrollment.status === 'active';
  if (input.resume_event && sameRun && enrollment.seq === input.seq - 1) {
    // Started by the event a wait_for_event waits for: take the run over (unless its timer already did).
    enrollment = await resumeWaiting(enrollment, input.resume_event);
    if (!enrollment) return done;
  } else if (!input.resume_event && sameRun && enrollment.seq === input.seq && enrollment.waiting_for && enrollment.wake_at && Date.parse(enrollment.wake_at) === input.at) {
    // The wait_for_event's timer (its input is due exactly at the recorded wake time; a retried invocation
    // from before the wait is not): claim the wake, so a resume racing it cannot continue the run as well.
    if (!(await claimWake(enrollment))) return done;
  }
  // A newer run or execution, a finished run or an erased contact: this invocation has nothing left to do.
  if (enrollment.run !== input.run || enrollment.seq !== input.seq || (enrollment.status !== 'starting' && enrollment.status !== 'active')) return done;
  const current = enrollment;

  const exit = async (reason: Enrollment['exit_reason'], extra: { error?: string; current_step?: string } = {}) => {
    await finishEnrollment(current, { status: 'exited', reason, ...extra });
    return done;
  };
  if (!contact || contact.team_id !== input.team_id) return exit('contact_deleted');
  const campaign = await findCampaignItem(input.campaign_id);
  if (!campaign || campaign.status !== 'active') return exit(campaign?.status === 'archived' || !campaign ? 'campaign_archived' : 'campaign_paused');
  if (!contact.subscribed) return exit('unsubscribed');
  // A signup campaign of a list mails only while the contact stays on that list.
  const listId = (campaign.trigger as { list_id?: string } | undefined)?.list_id;
  if (listId && !contact.lists.includes(listId)) return exit('unsubscribed');

  const steps = await definition(input.campaign_id, current.definition_version);
  const wait = async (seconds: number, at: string, continueAt: string | null, waiting?: { event: string; resume: string | null }): Promise<RunOutput> => {
    const wakeAt = Math.round(now + seconds * 1000);
    const recorded = await recordProgress(current, {
      current_step: at,
      waiting_for: waiting?.event ?? null,
      resume_step: waiting?.resume ?? null,
      wake_at: new Date(wakeAt).toISOString(),
    });
    if (!recorded) return done;
    const { resume_event: _resumed, ...next } = input;
    return { ...next, step: continueAt ?? END_OF_STEPS, action: 'wait', wait_seconds: Math.max(1, Math.ceil(seconds)), at: wakeAt };
  };

  const complete = async (at: string | null) => {
    await finishEnrollment(current, { status: 'completed', reason: null, current_step: at });
    return done;
  };

  let person = contact;
  let cursor = input.step ?? steps[0]!.id;
  let lastStep: string | null = current.current_step;
  for (let hop = 0; hop < MAX_STEPS_PER_INVOCATION; hop++) {
    const index = steps.findIndex((s) => s.id === cursor);
    // The end of the steps, an exit step and a branch to "exit" all complete the run.
    if (index < 0) return complete(cursor === 'exit' ? lastStep : steps.at(-1)!.id);
    const step = steps[index]!;
    lastStep = step.id;
    const next = steps[index + 1]?.id ?? END_OF_STEPS;
    switch (step.type) {
      case 'send': {
        const outcome = await sendStep(input, person, step, hop);
        if (outcome.kind === 'suppressed') return exit('suppressed', { current_step: step.id });
        if (outcome.kind === 'failed') return exit('send_failed', { error: outcome.error, current_step: step.id });
        if (outcome.kind === 'retry_at') return wait((outcome.at - now) / 1000, step.id, step.id);
        cursor = next;
        break;
      }
      case 'wait':
        return wait(step.duration, step.id, next);
      case 'wait_until':
        return wait((nextLocalTime(step.time, person.timezone ?? step.timezone ?? 'UTC', now) - now) / 1000, step.id, next);
      case 'wait_for_event':
        return wait(step.timeout, step.id, step.on_timeout ?? next, { event: step.event, resume: next });
      case 'branch':
        cursor = evaluateCondition(step.condition, person, now) ? step.then : step.else;
        break;
      case 'update_contact': {
        const { before, contact: updated } = await identifyContact(input.team_id, { email: person.email, properties: step.properties, tags: step.tags });
        if (before) await announceContactChange(input.team_id, before, updated, { campaignId: input.campaign_id });
        person = { ...updated, team_id: input.team_id } as typeof person;
        cursor = next;
        break;
      }
      case 'exit':
        return complete(step.id);
    }
  }
  return exit('loop_limit');
}
