/**
 * Campaigns. A triggered campaign is a list of steps run per contact (an enrolment) by one generic Step
 * Functions state machine; a broadcast is one send to a segment, fanned out through SQS. Step ids name the
 * targets of branches and timeouts; every definition change makes a new immutable version, and running
 * enrolments stay on the version they started with.
 */
import * as z from 'zod';
import { Address, EmailAddress } from './emails.js';
import { idOf, ListQuery, Timestamp, someFieldGiven, ResourceName, pageOf } from './common.js';
import { defineRoutes } from './contract.js';
import { Condition, EventName } from './conditions.js';
import { TimeZone } from './contacts.js';

export const MAX_STEPS = 50;
const MAX_WAIT_SECONDS = 365 * 86_400;

const StepId = z.string().regex(/^[a-z0-9_-]{1,40}$/, 'Step ids are 1–40 lowercase letters, digits, "_" and "-".');
const StepTarget = StepId.describe('The id of the step to go to; "exit" ends the enrolment.');

const UNIT_SECONDS: Record<string, number> = { d: 86_400, h: 3_600, m: 60, s: 1 };
/** "2d", "12h", "1d12h", "30m", "45s": a duration in whole seconds. */
export const Duration = z
  .string()
  .regex(/^(?:\d+d)?(?:\d+h)?(?:\d+m)?(?:\d+s)?$/, 'A duration like "2d", "12h", "1d12h", "30m" or "45s".')
  .transform((value, ctx) => {
    let seconds = 0;
    for (const [, amount, unit] of value.matchAll(/(\d+)([dhms])/g)) seconds += Number(amount) * UNIT_SECONDS[unit!]!;
    if (seconds < 1 || seconds > MAX_WAIT_SECONDS) {
      ctx.addIssue({ code: 'custom', message: 'A duration between 1 second and 365 days.' });
      return z.NEVER;
    }
    return seconds;
  });

const base = { id: StepId.optional().describe('Defaults to "step_<n>" (1-based position).') };

const SendStep = z.strictObject({
  ...base,
  type: z.literal('send'),
  template_id: idOf('template'),
  from: Address,
  subject: z.string().min(1).max(998).regex(/^[^\r\n\0]*$/).optional().describe('Overrides the template subject.'),
  reply_to: Address.optional(),
});
const WaitStep = z.strictObject({ ...base, type: z.literal('wait'), duration: Duration });
const WaitUntilStep = z.strictObject({
  ...base,
  type: z.literal('wait_until'),
  time: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'A time of day like "09:00".'),
  timezone: TimeZone.optional().describe('Used when the contact has no time zone (default UTC).'),
});
const WaitForEventStep = z.strictObject({
  ...base,
  type: z.literal('wait_for_event'),
  event: EventName,
  timeout: Duration,
  on_timeout: StepTarget.optional().describe('Where to go when the event does not come in time (default: the next step).'),
});
const BranchStep = z.strictObject({ ...base, type: z.literal('branch'), condition: Condition, then: StepTarget, else: StepTarget });
const UpdateContactStep = z.strictObject({
  ...base,
  type: z.literal('update_contact'),
  properties: z.record(z.string().min(1).max(100), z.unknown()).optional(),
  tags: z.array(z.string().min(1).max(64)).max(50).optional().describe('Appended without duplicates.'),
});
const ExitStep = z.strictObject({ ...base, type: z.literal('exit') });

export const Step = z.discriminatedUnion('type', [SendStep, WaitStep, WaitUntilStep, WaitForEventStep, BranchStep, UpdateContactStep, ExitStep]);
export type Step = z.output<typeof Step>;

/** An address as a step stores it: parsed, not formatted. */
const StepAddress = z.object({ email: z.string(), name: z.string().optional() });
const Seconds = z.number().int().min(1).max(MAX_WAIT_SECONDS);

/** A step as stored and shown: its id filled in, durations in seconds, addresses parsed. */
export const CampaignStep = z
  .discriminatedUnion('type', [
    SendStep.extend({ id: StepId, from: StepAddress, reply_to: StepAddress.optional() }),
    WaitStep.extend({ id: StepId, duration: Seconds.describe('The wait in seconds.') }),
    WaitUntilStep.extend({ id: StepId }),
    WaitForEventStep.extend({ id: StepId, timeout: Seconds.describe('How long to wait for the event, in seconds.') }),
    BranchStep.extend({ id: StepId }),
    UpdateContactStep.extend({ id: StepId }),
    ExitStep.extend({ id: StepId }),
  ])
  .meta({ id: 'CampaignStep' });
export type ResolvedStep = z.output<typeof CampaignStep>;

/** One object with exactly one of the two (not a union: a bad event name is then a 422 on `trigger.event`). */
export const Trigger = z
  .strictObject({
    event: EventName.optional().describe('Enrol contacts when this event is tracked.'),
    list_id: idOf('list').optional().describe('Enrol contacts when they first subscribe to this list.'),
  })
  .superRefine((trigger, ctx) => {
    if ((trigger.event === undefined) === (trigger.list_id === undefined)) ctx.addIssue({ code: 'custom', message: 'Give either event or list_id.' });
  });
export type Trigger = z.output<typeof Trigger>;

const Steps = z
  .array(Step)
  .min(1)
  .max(MAX_STEPS)
  .superRefine((steps, ctx) => {
    const ids = steps.map((s, i) => s.id ?? `step_${i + 1}`);
    ids.forEach((id, i) => {
      if (id === 'exit') ctx.addIssue({ code: 'custom', path: [i, 'id'], message: '"exit" is reserved.' });
      if (ids.indexOf(id) !== i) ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `Step id "${id}" is used twice.` });
    });
    const known = new Set([...ids, 'exit']);
    let targetsKnown = true;
    steps.forEach((step, i) => {
      for (const field of ['then', 'else', 'on_timeout'] as const) {
        const target = (step as Record<string, unknown>)[field];
        if (typeof target === 'string' && !known.has(target)) {
          targetsKnown = false;
          ctx.addIssue({ code: 'custom', path: [i, field], message: `No step has the id "${target}".` });
        }
      }
    });
    const loop = targetsKnown ? loopWithoutWait(steps, ids) : undefined;
    if (loop) ctx.addIssue({ code: 'custom', path: [ids.indexOf(loop[0]!)], message: `Steps ${loop.join(' → ')} loop without a wait: a contact would be mailed again and again at once.` });
  });

const WAITING = new Set(['wait', 'wait_until', 'wait_for_event']);

/** A cycle of steps none of which waits (ids along the cycle), found by depth-first search; undefined if none. */
function loopWithoutWait(steps: Step[], ids: string[]): string[] | undefined {
  const next = (i: number): number[] => {
    const step = steps[i]!;
    if (WAITING.has(step.type) || step.type === 'exit') return [];
    const targets = step.type === 'branch' ? [step.then, step.else] : [ids[i + 1]];
    return targets.map((id) => (id === undefined ? -1 : ids.indexOf(id))).filter((j) => j >= 0);
  };
  const state = new Map<number, 'open' | 'done'>();
  const path: number[] = [];
  const visit = (i: number): string[] | undefined => {
    if (state.get(i) === 'open') return [...path.slice(path.indexOf(i)), i].map((j) => ids[j]!);
    if (state.get(i) === 'done') return undefined;
    state.set(i, 'open');
    path.push(i);
    for (const j of next(i)) {
      const found = visit(j);
      if (found) return found;
    }
    path.pop();
    state.set(i, 'done');
    return undefined;
  };
  for (let i = 0; i < steps.length; i++) {
    const found = visit(i);
    if (found) return found;
  }
  return undefined;
}

export const resolveSteps = (steps: Step[]): ResolvedStep[] => steps.map((s, i) => ({ ...s, id: s.id ?? `step_${i + 1}` }));


const TriggeredFields = {
  kind: z.literal('triggered'),
  name: ResourceName,
  trigger: Trigger,
  steps: Steps,
  goal_event: EventName.optional().describe('Tracking this event (or a conversion with this event) ends the enrolment as converted.'),
  allow_reentry: z.boolean().default(false).describe('A contact that finished or exited may enrol again.'),
};
const BroadcastFields = {
  kind: z.literal('broadcast'),
  name: ResourceName,
  segment_id: idOf('segment'),
  template_id: idOf('template'),
  from: Address,
  subject: z.string().min(1).max(998).regex(/^[^\r\n\0]*$/).optional(),
  reply_to: Address.optional(),
};

export const CreateCampaignBody = z.discriminatedUnion('kind', [z.strictObject(TriggeredFields), z.strictObject(BroadcastFields)]);
export type CreateCampaignBody = z.output<typeof CreateCampaignBody>;

/** PATCH: any field of the campaign's kind except `kind`; changing steps makes a new version. */
export const UpdateCampaignBody = z
  .strictObject({
    name: ResourceName.optional(),
    trigger: Trigger.optional(),
    steps: Steps.optional(),
    goal_event: EventName.nullable().optional(),
    allow_reentry: z.boolean().optional(),
    segment_id: idOf('segment').optional(),
    template_id: idOf('template').optional(),
    from: Address.optional(),
    subject: z.string().min(1).max(998).regex(/^[^\r\n\0]*$/).nullable().optional(),
    reply_to: Address.nullable().optional(),
  })
  .refine(...someFieldGiven);
export type UpdateCampaignBody = z.output<typeof UpdateCampaignBody>;

export const CAMPAIGN_STATUSES = ['draft', 'active', 'paused', 'archived', 'sending', 'completed', 'canceled'] as const;
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];

export const BroadcastProgress = z
  .object({
    total: z.number().int().nullable().describe('Contacts in the segment when the broadcast started (known once the fan-out finished).'),
    queued: z.number().int().describe('Emails created for the segment\'s contacts so far.'),
    sent: z.number().int().describe('Emails handed to SES.'),
    failed: z.number().int().describe('Emails that never reached SES or were refused by it.'),
    skipped: z.number().int().describe('Unsubscribed or suppressed contacts that were not mailed.'),
  })
  .meta({ id: 'BroadcastProgress' });

export const Campaign = z
  .object({
    id: idOf('campaign'),
    kind: z.enum(['triggered', 'broadcast']).describe('`triggered`: steps run per contact an event or list signup enrols; `broadcast`: one send to a segment.'),
    name: z.string(),
    status: z
      .enum(CAMPAIGN_STATUSES)
      .describe(
        'Triggered: `draft` → `active` ⇄ `paused`, `archived` from any of them. Broadcast: `draft` → `sending` ⇄ `paused`, ending `completed` (every page sent) or `canceled`; `archived` from draft, completed or canceled.',
      ),
    trigger: Trigger.nullable().describe('Triggered campaigns: what enrols a contact; null on broadcasts.'),
    steps: z.array(CampaignStep).nullable().describe('Triggered campaigns: the current definition; null on broadcasts.'),
    goal_event: z.string().nullable().describe('Tracking this event ends an enrolment as converted.'),
    allow_reentry: z.boolean().describe('A contact that finished or exited may enrol again.'),
    definition_version: z.number().int().describe('Bumped by every change of steps; enrolments keep the version they started on.'),
    segment_id: idOf('segment').nullable().describe('Broadcasts: the segment mailed; null on triggered campaigns.'),
    template_id: idOf('template').nullable().describe('Broadcasts: the template sent; null on triggered campaigns.'),
    from: z.string().nullable().describe('Broadcasts: the sender, formatted like `"Ann" <ann@example.com>`.'),
    subject: z.string().nullable().describe('Broadcasts: overrides the template subject when set.'),
    reply_to: z.string().nullable(),
    progress: BroadcastProgress.nullable().describe('Broadcasts: how far the send got; null on triggered campaigns.'),
    launched_at: Timestamp.nullable().describe('When it was launched; null while a draft.'),
    created_at: Timestamp,
    updated_at: Timestamp,
    version: z.number().int().describe('Increases with every change; the ETag, for If-Match.'),
  })
  .meta({ id: 'Campaign' });
export type Campaign = z.infer<typeof Campaign>;

export const CampaignParams = z.strictObject({ id: idOf('campaign') });
export const ListCampaignsQuery = ListQuery.extend({
  kind: z.enum(['triggered', 'broadcast']).optional(),
  status: z.enum(CAMPAIGN_STATUSES).optional(),
});

export const ENROLLMENT_STATUSES = ['starting', 'active', 'completed', 'exited'] as const;
export const EXIT_REASONS = ['unsubscribed', 'suppressed', 'converted', 'campaign_paused', 'campaign_archived', 'contact_deleted', 'send_failed', 'loop_limit', 'error'] as const;

export const Enrollment = z
  .object({
    campaign_id: idOf('campaign'),
    contact_id: idOf('contact'),
    email: z.string(),
    status: z.enum(ENROLLMENT_STATUSES).describe('`starting` until its run has begun; `completed` after the last step; `exited` early (see exit_reason).'),
    exit_reason: z.enum(EXIT_REASONS).nullable(),
    error: z.string().nullable().describe('Why a send step failed (exit_reason send_failed or error).'),
    run: z.number().int().describe('1 for the first enrolment; re-entries count up.'),
    definition_version: z.number().int(),
    current_step: z.string().nullable(),
    waiting_for: z.string().nullable().describe('The event a wait_for_event step is waiting for.'),
    wake_at: Timestamp.nullable().describe('When a waiting step continues (a wait_for_event step: its timeout).'),
    enrolled_at: Timestamp.describe('When the current run began.'),
    updated_at: Timestamp,
    finished_at: Timestamp.nullable(),
  })
  .meta({ id: 'CampaignEnrollment' });
export type Enrollment = z.infer<typeof Enrollment>;

export const ListEnrollmentsQuery = ListQuery.extend({ status: z.enum(ENROLLMENT_STATUSES).optional() });

export const TestEventBody = z.strictObject({
  email: EmailAddress.describe('Contact to enrol (created if missing).'),
  data: z.record(z.string(), z.unknown()).optional(),
});

export const TestEventResult = z
  .object({
    contact_id: idOf('contact'),
    contact_created: z.boolean().describe('The contact did not exist before this test event.'),
    enrolled: z.boolean().describe('A new enrolment (or re-entry) started.'),
    enrolled_campaigns: z.array(z.string()).describe('Names of the campaigns the contact was enrolled in: this one, or none.'),
    skipped_campaigns: z.array(z.string()).describe('Names of the campaigns the contact was already in (or finished without re-entry).'),
  })
  .meta({ id: 'CampaignTestEventResult' });
export type TestEventResult = z.infer<typeof TestEventResult>;

const IF_MATCH = ['If-Match'] as const;

export const CAMPAIGN_ROUTES = defineRoutes({
  'campaigns.create': {
    summary: 'Create a campaign',
    description:
      'A `triggered` campaign runs its steps for each contact its trigger (a tracked event or a first list signup) enrols; a `broadcast` sends one template to every contact of a segment. ' +
      'Every campaign starts as a `draft`: nothing is sent until it is launched. Templates, segment and sender are checked at launch, not here. Send an `Idempotency-Key` to make retries safe.',
    body: CreateCampaignBody,
    responses: { 201: Campaign },
  },
  'campaigns.list': {
    summary: 'List campaigns',
    description: 'Newest first, optionally filtered by `kind` and `status`. Page with `limit` and the `next_cursor` of the previous page.',
    query: ListCampaignsQuery,
    responses: { 200: pageOf(Campaign) },
  },
  'campaigns.get': {
    summary: 'Get a campaign',
    description: 'A broadcast includes its `progress`: contacts queued and skipped so far, emails sent and failed.',
    params: CampaignParams,
    responses: { 200: Campaign },
  },
  'campaigns.update': {
    summary: 'Update a campaign',
    description:
      'Changes only the fields given, which must belong to the campaign\'s kind (`kind` itself cannot change). Changing the steps makes a new definition version: ' +
      'running enrolments finish on the version they started with. Broadcasts can be changed only as drafts; archived campaigns not at all (409). Honours `If-Match` with the campaign\'s ETag.',
    params: CampaignParams,
    body: UpdateCampaignBody,
    responses: { 200: Campaign },
    errors: ['conflict', 'validation_error'],
    headers: IF_MATCH,
  },
  'campaigns.launch': {
    summary: 'Launch a campaign',
    description:
      'Starts a draft. A triggered campaign becomes `active` (every template its send steps use must exist) and enrols contacts from then on. ' +
      'A broadcast becomes `sending` once its segment, template and sender (on a verified domain) check out; the segment\'s filter and the template version are fixed at launch and emails go out in pages paced to the send rate. ' +
      'If the broadcast queue refuses the first page, the broadcast is left `paused` and the answer is 503: resume it.',
    params: CampaignParams,
    responses: { 200: Campaign },
    errors: ['conflict', 'validation_error', 'service_unavailable'],
  },
  'campaigns.pause': {
    summary: 'Pause a campaign',
    description:
      'An `active` triggered campaign stops enrolling; its running enrolments exit (`campaign_paused`) at their next step. A `sending` broadcast stops after the page in progress; resume continues where it stopped.',
    params: CampaignParams,
    responses: { 200: Campaign },
    errors: ['conflict'],
  },
  'campaigns.resume': {
    summary: 'Resume a paused campaign',
    description: 'A triggered campaign becomes `active` again and enrols new contacts; a broadcast goes back to `sending` from the page where it stopped (503 if the broadcast queue refuses it: it stays paused, retry).',
    params: CampaignParams,
    responses: { 200: Campaign },
    errors: ['conflict', 'service_unavailable'],
  },
  'campaigns.archive': {
    summary: 'Archive a campaign',
    description:
      'Final: an archived campaign cannot be changed or launched again. A triggered campaign (draft, active or paused) stops enrolling and its running enrolments exit (`campaign_archived`) at their next step; a broadcast can be archived as a draft or once completed or canceled.',
    params: CampaignParams,
    responses: { 200: Campaign },
    errors: ['conflict'],
  },
  'campaigns.cancel': {
    summary: 'Cancel a broadcast',
    description: 'Broadcasts only (422 for a triggered campaign), while `sending` or `paused`: no page starts after this; emails already queued by the page in progress still go out.',
    params: CampaignParams,
    responses: { 200: Campaign },
    errors: ['conflict', 'validation_error'],
  },
  'campaign-enrollments.list': {
    summary: 'List a campaign\'s enrolments',
    description: 'One enrolment per contact, showing its latest run; most recently (re-)enrolled first, optionally filtered by `status`. Page with `limit` and `next_cursor`.',
    params: CampaignParams,
    query: ListEnrollmentsQuery,
    responses: { 200: pageOf(Enrollment) },
  },
  'campaign-test-events.create': {
    summary: 'Send a test event to a campaign',
    description:
      'Enrols one contact (created if the team has none with the address) in this `active` triggered campaign as its trigger would, and only in it: other campaigns are not touched. ' +
      'The trigger\'s event (`campaign.test` for a list-triggered campaign) is recorded on the contact\'s timeline with source `test`; a new contact sends a `contact.created` webhook event. ' +
      'A contact already enrolled (or finished, without re-entry) is skipped. Send an `Idempotency-Key` to make retries safe.',
    params: CampaignParams,
    body: TestEventBody,
    responses: { 200: TestEventResult },
    errors: ['conflict', 'validation_error'],
  },
});
