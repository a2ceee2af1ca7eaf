/**
 * `mailroom tail`: new events, one line each, until Ctrl-C. The API has no event stream, so this polls what
 * it offers every --interval seconds and prints only what happened since tail started:
 * - sending: the 100 most recent emails (GET /v1/emails, newest first); an email that is new or whose
 *   updated_at moved is read again (GET /v1/emails/{id}) and its timeline events after the start are printed;
 * - receiving: each inbox's messages received since the start (GET /v1/inboxes/{id}/messages?since=…),
 *   or only its own inbox for an inbox key.
 * Older emails whose status changes are not seen once 100 newer ones exist.
 */
import { MailroomError, type Mailroom } from '@mailroom/sdk';
import { defineCommand, integerFlag, secondsFlag } from '../command.js';
import { list, oneLine, when, type Output } from '../output.js';

const EMAIL_WINDOW = 100;

export const tail = defineCommand({
  path: ['tail'],
  summary: 'Stream new events (emails sent and their delivery, mail received), one line each, until Ctrl-C.',
  details: [
    'Polls the API every --interval seconds: the 100 most recent emails and every inbox (an inbox key: its own),',
    'printing only what happened after tail started. With --json each event is one JSON object per line.',
  ].join('\n'),
  flags: {
    interval: { type: 'string', arg: 'SECONDS', help: 'Seconds between polls. Default: 2.' },
    'max-events': { type: 'string', arg: 'N', help: 'Stop after printing N events.' },
    duration: { type: 'string', arg: 'SECONDS', help: 'Stop after this many seconds.' },
  },
  async run({ flags, client, out, signal }) {
    const intervalMs = (secondsFlag(flags.interval, 'interval') ?? 2) * 1000;
    const maxEvents = integerFlag(flags['max-events'], 'max-events', 1, Number.MAX_SAFE_INTEGER);
    const durationSeconds = secondsFlag(flags.duration, 'duration');
    const stop = durationSeconds === undefined ? signal : AbortSignal.any([signal, AbortSignal.timeout(durationSeconds * 1000)]);

    const watcher = new EventWatcher(client(), new Date().toISOString(), stop);
    await watcher.start();
    out.note(`Watching ${watcher.describe()} every ${intervalMs / 1000} s (Ctrl-C stops).`);
    let printed = 0;
    while (!stop.aborted) {
      for (const event of await watcher.poll((error) => out.note(`Poll failed, trying again: ${error.code}: ${error.message}`))) {
        printEvent(out, event);
        if (maxEvents !== undefined && ++printed >= maxEvents) return;
      }
      await sleep(intervalMs, stop);
    }
  },
});

export interface TailEvent {
  at: string;
  type: string;
  id: string;
  summary: string;
}

type Email = Awaited<ReturnType<Mailroom['emails']['get']>>;

class EventWatcher {
  /** What was last seen of each recent email: its updated_at and how many timeline events were printed. */
  private readonly emails = new Map<string, { updatedAt: string; printed: number }>();
  private readonly messagesSeen = new Set<string>();
  /** The one inbox of an inbox key; undefined for team keys, which watch every inbox. */
  private ownInbox: string | undefined;
  private watchesEmails = true;

  constructor(
    private readonly mailroom: Mailroom,
    private readonly since: string,
    private readonly signal: AbortSignal,
  ) {}

  /** Learns what the key may watch and what the recent emails look like now, so the first poll reads only changes. */
  async start() {
    const me = await this.mailroom.me({ signal: this.signal });
    if (me.kind === 'inbox' && me.inbox_id) {
      this.ownInbox = me.inbox_id;
      this.watchesEmails = false;
      return;
    }
    const page = await this.mailroom.emails.list({ limit: EMAIL_WINDOW }, { signal: this.signal });
    for (const email of page.data) this.emails.set(email.id, { updatedAt: email.updated_at, printed: 0 });
  }

  describe() {
    return this.ownInbox ? `inbox ${this.ownInbox}` : 'emails and inboxes';
  }

  /**
   * Everything new since the previous poll, oldest first; nothing once stopped. Each source remembers what it
   * printed only when it succeeds, so a failure the API calls retryable (after the client's own retries) is
   * reported and the next poll picks up where it left; other failures end tail.
   */
  async poll(onTransientError: (error: MailroomError) => void): Promise<TailEvent[]> {
    const results = await Promise.allSettled([this.watchesEmails ? this.newEmailEvents() : [], this.newMessages()]);
    const events: TailEvent[] = [];
    for (const result of results) {
      if (result.status === 'fulfilled') events.push(...result.value);
      else if (this.signal.aborted) return [];
      else if (result.reason instanceof MailroomError && result.reason.retryable) onTransientError(result.reason);
      else throw result.reason;
    }
    return events.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  }

  private async newEmailEvents(): Promise<TailEvent[]> {
    const page = await this.mailroom.emails.list({ limit: EMAIL_WINDOW }, { signal: this.signal });
    const changed = page.data.filter((email) => this.emails.get(email.id)?.updatedAt !== email.updated_at);
    const details = await Promise.all(changed.map((email) => this.mailroom.emails.get(email.id, { signal: this.signal })));
    return details.flatMap((email) => this.unprintedEvents(email));
  }

  private unprintedEvents(email: Email): TailEvent[] {
    const printed = this.emails.get(email.id)?.printed ?? 0;
    this.emails.set(email.id, { updatedAt: email.updated_at, printed: email.events.length });
    return email.events
      .slice(printed)
      .filter((event) => Date.parse(event.at) >= Date.parse(this.since))
      .map((event) => ({
        at: event.at,
        type: `email.${event.type}`,
        id: email.id,
        summary: `${event.recipient ?? list(email.to)}  "${email.subject}"`,
      }));
  }

  private async newMessages(): Promise<TailEvent[]> {
    const inboxes = this.ownInbox ? [this.ownInbox] : (await this.mailroom.inboxes.list({ limit: 100 }, { signal: this.signal })).data.map((inbox) => inbox.id);
    const pages = await Promise.all(
      inboxes.map((inbox) => this.mailroom.inboxes.messages.list(inbox, { since: this.since, limit: 100 }, { signal: this.signal })),
    );
    return pages
      .flatMap((page) => page.data)
      .filter((message) => message.direction === 'inbound' && !this.messagesSeen.has(message.id))
      .map((message) => {
        this.messagesSeen.add(message.id);
        return { at: message.received_at, type: 'message.received', id: message.id, summary: `${message.from} → ${list(message.to)}  "${message.subject}"` };
      });
  }
}

function printEvent(out: Output, event: TailEvent) {
  if (out.json) out.jsonLine(event);
  // The summary quotes senders and subjects: kept to one line, without control characters.
  else out.line(`${when(event.at)}  ${event.type.padEnd(22)}  ${event.id}  ${oneLine(event.summary)}`);
}

/** Waits, or returns early when the signal fires. */
function sleep(ms: number, signal: AbortSignal) {
  return new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done);
  });
}
