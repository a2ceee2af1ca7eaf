import { describe, expect, it } from 'vitest';
import { confirmationEmail, subscribeChange, unsubscribeChange } from '../../functions/domain/lists.js';
import type { Contact } from '../../functions/schemas/contacts.js';
import type { StoredList, StoredMember } from '../../functions/repositories/lists.js';

const t0 = '2026-11-22T10:00:00.000Z';
const t1 = '2026-11-23T10:00:00.000Z';
const t2 = '2026-11-24T10:00:00.000Z';
const contact = { id: 'ct_01jz0000000000000000000000', email: 'ann@example.com', lists: [] } as unknown as Contact;
const single: StoredList = {
  id: 'lst_01jz0000000000000000000000',
  team_id: 'team_01jz0000000000000000000000',
  status: 'active',
  name: 'News & <Offers>',
  description: null,
  double_opt_in: false,
  confirmation: null,
  created_at: t0,
  updated_at: t0,
  version: 1,
};
const double: StoredList = { ...single, double_opt_in: true, confirmation: { from: { email: 'news@mailroom.test', name: 'News' }, subject: null } };

describe('membership changes', () => {
  it('a first subscription is first once: unsubscribing and subscribing again is not', () => {
    const first = subscribeChange(single, contact, undefined, t0)!;
    expect(first).toMatchObject({ firstSubscription: true, sendConfirmation: false, next: { status: 'subscribed', subscribed_at: t0, first_subscribed_at: t0, version: 1 } });
    expect(subscribeChange(single, contact, first.next, t1)).toBeUndefined();
    const left = unsubscribeChange(first.next, t1)!;
    expect(left.next).toMatchObject({ status: 'unsubscribed', unsubscribed_at: t1, first_subscribed_at: t0, version: 2 });
    expect(unsubscribeChange(left.next, t2)).toBeUndefined();
    const back = subscribeChange(single, contact, left.next, t2)!;
    expect(back).toMatchObject({ firstSubscription: false, next: { status: 'subscribed', subscribed_at: t2, first_subscribed_at: t0, unsubscribed_at: null, version: 3 } });
  });

  it('double opt-in: pending with a confirmation to send; pending again is no change; a list turned single opt-in subscribes a pending member', () => {
    const pending = subscribeChange(double, contact, undefined, t0)!;
    expect(pending).toMatchObject({ firstSubscription: false, sendConfirmation: true, next: { status: 'pending', confirmation_sent_at: t0, first_subscribed_at: null } });
    expect(subscribeChange(double, contact, pending.next as StoredMember, t1)).toBeUndefined();
    expect(subscribeChange(single, contact, pending.next as StoredMember, t1)).toMatchObject({ firstSubscription: true, next: { status: 'subscribed' } });
  });
});

describe('confirmation email', () => {
  it('names the list and address, links once in text and HTML, escapes HTML, uses the list sender', () => {
    const url = 'https://api.example.com/v1/lists/confirm/abc.def';
    const mail = confirmationEmail(double, 'ann@example.com', url, Date.parse(t1));
    expect(mail).toMatchObject({ from: { email: 'news@mailroom.test', name: 'News' }, to: [{ email: 'ann@example.com' }], subject: 'Confirm your subscription to News & <Offers>' });
    expect(mail.text).toContain(`Confirm your subscription: ${url}`);
    expect(mail.html).toContain(`<a href="${url}">`);
    expect(mail.html).toContain('News &#38; &#60;Offers&#62;');
    expect(mail.html).not.toContain('<Offers>');
    expect(confirmationEmail({ ...double, confirmation: { ...double.confirmation!, subject: 'Are you in?' } }, 'a@b.c', url, 0).subject).toBe('Are you in?');
  });
});
