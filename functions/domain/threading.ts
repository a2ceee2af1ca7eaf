/** Pure helpers for putting messages in threads and showing what a reply actually says. */
import { createHash } from 'node:crypto';

/** "Re: Fwd: AW: [ext] Hello" → "hello": what stays the same across a conversation. */
export function normalizeSubject(subject: string): string {
  let s = subject.trim();
  for (;;) {
    const next = s.replace(/^(?:(?:re|fw|fwd|aw|wg|sv|vs|antw|tr)(?:\[\d+\])?\s*:\s*|\[[^\]]{1,30}\]\s*)/i, '');
    if (next === s) break;
    s = next;
  }
  return s.replace(/\s+/g, ' ').toLowerCase();
}

/** Subject fallback only within the same participants: two strangers' "Hello" must not merge. */
export function subjectThreadKey(subject: string, participants: string[]): string {
  const people = [...new Set(participants.map((p) => p.toLowerCase()))].sort().join(',');
  return createHash('sha256').update(`${normalizeSubject(subject)}\n${people}`).digest('hex').slice(0, 32);
}

/** In-Reply-To first (most specific), then References newest first. */
export function threadCandidates(inReplyTo: string | null, references: string[]): string[] {
  return [...(inReplyTo ? [inReplyTo] : []), ...[...references].reverse()];
}

/**
 * The new text of a reply without the quoted history: stops at the first "On … wrote:" line, a quoted
 * block, a forwarded-message separator or an Outlook header block.
 */
export function extractReplyText(text: string): string {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  const kept: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const joined = `${line} ${lines[i + 1] ?? ''}`;
    if (/^\s*>/.test(line)) break;
    if (/^\s*On .{0,200}wrote:\s*$/i.test(line) || /^\s*On .{0,200}\s+wrote:\s*$/i.test(joined.trim())) break;
    if (/^\s*-{2,}\s*(Original Message|Forwarded message)\s*-{2,}/i.test(line)) break;
    if (/^\s*From:\s.+/i.test(line) && /^\s*(Sent|Date):\s/i.test(lines[i + 1] ?? '')) break;
    kept.push(line);
  }
  return kept.join('\n').trim();
}
