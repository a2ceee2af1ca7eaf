/** The local SES front's admin routes (local/ses-front.ts), as tests use them: fault injection, its call log and what its mailbox captured. */
import type { FAULT_KINDS, SendCall } from '../../local/ses-front.js';
import { endpoints } from './local-stack.js';

export type SesFault = (typeof FAULT_KINDS)[number];

/** The admin routes of the SES front at `endpoint`: faults for the next calls to one recipient, and the calls it received. */
export function sesFrontAt(endpoint: () => string) {
  return {
    async inject(fault: SesFault, recipient: string, count = 1): Promise<string> {
      const res = await fetch(`${endpoint()}/_mailroom/faults`, { method: 'POST', body: JSON.stringify({ fault, recipient, count }) });
      if (res.status !== 200) throw new Error(`fault not injected: ${res.status} ${await res.text()}`);
      return ((await res.json()) as { id: string }).id;
    },
    async clear(id: string): Promise<void> {
      await fetch(`${endpoint()}/_mailroom/faults/${id}`, { method: 'DELETE' });
    },
    async calls(recipient: string): Promise<SendCall[]> {
      const res = await fetch(`${endpoint()}/_mailroom/send-calls?recipient=${encodeURIComponent(recipient)}`);
      return ((await res.json()) as { calls: SendCall[] }).calls;
    },
    /** How many times the SES mailbox captured a mail with this subject: how many times it was really sent. */
    async timesSent(subject: string): Promise<number> {
      const store = (await (await fetch(`${endpoint()}/store`)).json()) as { emails: { subject: string }[] };
      return store.emails.filter((e) => e.subject === subject).length;
    },
    /** The subject of a mail SES accepted. */
    async subjectOf(messageId: string): Promise<string | undefined> {
      const res = await fetch(`${endpoint()}/_mailroom/messages/${messageId}`);
      return ((await res.json()) as { mail: { commonHeaders: { subject?: string } } }).mail.commonHeaders.subject;
    },
  };
}

/** The SES front of the shared emulators. */
export const sesFront = sesFrontAt(() => endpoints().ses);
