/**
 * Publishing platform events for webhooks. Whatever happens (an email delivered, a message received, a
 * domain verified) is published once to the fan-out queue if a webhook of its team wants it; the fan-out
 * worker makes a delivery for each webhook that (still) does. Event ids are derived from what happened (deterministicId), so publishing the same thing
 * twice (a redelivered queue message) produces the same event and each webhook gets it once.
 */
import * as z from 'zod';
import { sendToQueue } from '../shared/queue/producer.js';
import { deterministicId } from '../shared/ids.js';
import { currentBatch } from '../shared/queue/batch-scope.js';
import { WebhookEventType, type Webhook, type WebhookPayload } from '../schemas/webhooks.js';
import { allTeamWebhooks } from '../repositories/webhooks.js';

/** One event on its way to the fan-out queue. */
export const PlatformEvent = z.object({
  id: z.string(),
  team_id: z.string(),
  type: WebhookEventType,
  timestamp: z.string(),
  /** The inbox the event is about, for webhooks filtered to inboxes. */
  inbox_id: z.string().nullable(),
  data: z.record(z.string(), z.unknown()),
});
export type PlatformEvent = z.infer<typeof PlatformEvent>;


/**
 * The event with an id derived from `seed` (what happened, uniquely): publishing it again is harmless. The id's
 * time part is the event's timestamp unless `idTime` pins it (when a republish cannot know the first timestamp).
 */
export function platformEvent(input: Omit<PlatformEvent, 'id' | 'inbox_id'> & { inbox_id?: string | null; seed: string; idTime?: number }): PlatformEvent {
  const { seed, idTime, ...event } = input;
  const id = deterministicId('event', idTime ?? Date.parse(event.timestamp), `${event.team_id}\n${event.type}\n${seed}`);
  return { ...event, inbox_id: event.inbox_id ?? null, id };
}

export function wantsEvent(webhook: Webhook, event: PlatformEvent): boolean {
  if (!webhook.enabled) return false;
  if (webhook.event_types && !webhook.event_types.includes(event.type)) return false;
  if (webhook.inbox_ids && (!event.inbox_id || !webhook.inbox_ids.includes(event.inbox_id))) return false;
  return true;
}

/** The team's webhooks, read once per queue batch (publisher's or fan-out's): a batch of one team's events asks once. */
export const teamWebhooks = (teamId: string) => currentBatch()?.memo(`webhooks:${teamId}`, () => allTeamWebhooks(teamId)) ?? allTeamWebhooks(teamId);

/**
 * Queues the events some webhook of their team wants; the others go nowhere. Reading the team's webhooks here
 * (one query per team) costs a fraction of an SQS message and spares the fan-out an invocation, for the many
 * events of teams without webhooks. The caller's own queue message is retried if this throws; the events keep
 * their ids, so none is delivered twice.
 */
export async function publishEvents(events: PlatformEvent[]): Promise<void> {
  const teams = [...new Set(events.map((event) => event.team_id))];
  const webhooksOf = new Map(await Promise.all(teams.map(async (teamId) => [teamId, await teamWebhooks(teamId)] as const)));
  const wanted = events.filter((event) => webhooksOf.get(event.team_id)!.some((webhook) => wantsEvent(webhook, event)));
  if (wanted.length) await sendToQueue('webhook-fanout', wanted);
}

/** The body a webhook receives for the event: small, with links to the resources rather than their contents. */
export function webhookPayload(event: PlatformEvent): WebhookPayload {
  return { type: event.type, timestamp: event.timestamp, data: event.data };
}

/** What every email event tells about the email (recipients, subject, tags), besides what happened. */
export interface EmailFacts {
  id: string;
  team_id: string;
  from: string;
  to: string[];
  subject: string;
  tags: Record<string, string>;
  created_at: string;
  threading?: { inbox_id: string } | null;
}

export type EmailEventType = Extract<WebhookEventType, `email.${string}`>;

export function emailEvents(
  email: EmailFacts,
  change: { type: EmailEventType; at: string; recipients: (string | null)[]; detail?: Record<string, unknown>; seed: string; idTime?: number },
): PlatformEvent[] {
  return change.recipients.map((recipient) =>
    platformEvent({
      team_id: email.team_id,
      type: change.type,
      timestamp: change.at,
      idTime: change.idTime,
      inbox_id: email.threading?.inbox_id ?? null,
      seed: `${email.id}\n${change.seed}\n${recipient ?? ''}`,
      data: {
        email_id: email.id,
        recipient,
        from: email.from,
        to: email.to,
        subject: email.subject,
        tags: email.tags,
        created_at: email.created_at,
        ...change.detail,
      },
    }),
  );
}
