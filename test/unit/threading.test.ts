import { describe, expect, it } from 'vitest';
import { extractReplyText, normalizeSubject, subjectThreadKey, threadCandidates } from '../../functions/domain/threading.js';
import { deterministicId } from '../../functions/shared/ids.js';

describe('normalizeSubject', () => {
  it.each([
    ['Re: Hello', 'hello'],
    ['RE: Fwd: AW: hello', 'hello'],
    ['Re[2]: Hello   World', 'hello world'],
    ['[External] Re: Hello', 'hello'],
    ['Fw: [ticket-9] Sv: Hello', 'hello'],
    ['Reply needed', 'reply needed'],
    ['Hello', 'hello'],
  ])('%s → %s', (subject, normalized) => expect(normalizeSubject(subject)).toBe(normalized));
});

describe('subjectThreadKey', () => {
  it('is the same for replies among the same people, in any order or case', () => {
    expect(subjectThreadKey('Re: Order', ['B@x.com', 'a@x.com'])).toBe(subjectThreadKey('Order', ['a@x.com', 'b@x.com']));
  });
  it('differs for other participants or another subject', () => {
    expect(subjectThreadKey('Order', ['a@x.com'])).not.toBe(subjectThreadKey('Order', ['c@x.com']));
    expect(subjectThreadKey('Order', ['a@x.com'])).not.toBe(subjectThreadKey('Invoice', ['a@x.com']));
  });
});

describe('threadCandidates', () => {
  it('tries In-Reply-To first, then References newest first', () => {
    expect(threadCandidates('<c>', ['<a>', '<b>'])).toEqual(['<c>', '<b>', '<a>']);
    expect(threadCandidates(null, ['<a>'])).toEqual(['<a>']);
  });
});

describe('extractReplyText', () => {
  it.each([
    ['Thanks!\n\nOn Mon, 3 Nov 2026 at 10:00, Ann <ann@x.com> wrote:\n> earlier', 'Thanks!'],
    ['Sure.\nOn Mon, 3 Nov 2026 at 10:00, Ann Long-Name\n<ann@x.com> wrote:\n> earlier', 'Sure.'],
    ['Yes\n> quoted', 'Yes'],
    ['See below\n-----Original Message-----\nFrom: x', 'See below'],
    ['Fine\nFrom: Ann <ann@x.com>\nSent: Monday\nTo: me', 'Fine'],
    ['No quote at all\nsecond line', 'No quote at all\nsecond line'],
  ])('%j', (text, reply) => expect(extractReplyText(text)).toBe(reply));
});

describe('deterministicId', () => {
  it('is stable for the same seed and sorts by time', () => {
    expect(deterministicId('message', 1_000, 'a')).toBe(deterministicId('message', 1_000, 'a'));
    expect(deterministicId('message', 1_000, 'a')).not.toBe(deterministicId('message', 1_000, 'b'));
    expect(deterministicId('message', 1_000, 'z') < deterministicId('message', 2_000, 'a')).toBe(true);
    expect(deterministicId('message', Date.now(), 'x')).toMatch(/^msg_[0-9a-hjkmnp-tv-z]{26}$/);
  });
});
