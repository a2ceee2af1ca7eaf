/**
 * One-click unsubscribe links (RFC 8058): the signed token names the team and the recipient (see
 * signed-links.ts). Unsubscribing suppresses the address for the team and marks the team's contact with
 * that address unsubscribed from everything.
 */
import { ApiError } from '../shared/errors.js';
import { addSuppression } from '../repositories/suppressions.js';
import { findContactIdByEmail, updateContact } from '../repositories/contacts.js';
import { findEmail } from '../repositories/emails.js';
import { announceContactChange } from './contacts.js';
import { signLink, verifyLink } from './signed-links.js';

interface UnsubscribeClaim {
  team_id: string;
  email: string;
  email_id: string;
}

const PURPOSE = 'mailroom unsubscribe links';

export function unsubscribeToken(claim: UnsubscribeClaim): Promise<string> {
  return signLink(PURPOSE, [claim.team_id, claim.email, claim.email_id]);
}

export async function verifyUnsubscribeToken(token: string): Promise<UnsubscribeClaim | undefined> {
  const claim = await verifyLink(PURPOSE, token);
  const [team_id, email, email_id] = claim ?? [];
  return claim?.length === 3 && typeof team_id === 'string' && typeof email === 'string' && typeof email_id === 'string' ? { team_id, email, email_id } : undefined;
}

export const unsubscribeUrl = (apiUrl: string, token: string) => `${apiUrl}/v1/unsubscribe/${token}`;

/**
 * Unsubscribes the recipient of a one-click link from everything the team sends: a suppression (no email of
 * any kind reaches the address) and, if the team has a contact with the address, `subscribed: false` on it
 * (campaigns and broadcasts skip it; contact.updated and contact.unsubscribed are published). Repeating it
 * changes nothing.
 */
export async function unsubscribeFromEverything(claim: UnsubscribeClaim): Promise<void> {
  await addSuppression(claim.team_id, { email: claim.email, reason: 'unsubscribe', source_email_id: claim.email_id });
  const contactId = await findContactIdByEmail(claim.team_id, claim.email);
  if (!contactId) return;
  try {
    const { before, contact: after } = await updateContact(claim.team_id, contactId, { subscribed: false });
    if (before.version === after.version) return;
    // A campaign's mail carries its id: the unsubscribe counts in that campaign's stats.
    const campaignId = (await findEmail(claim.email_id))?.tags.mailroom_campaign ?? null;
    await announceContactChange(claim.team_id, before, after, { campaignId });
  } catch (error) {
    // Deleted in the meantime: the suppression is what still matters.
    if (!(error instanceof ApiError && error.code === 'not_found')) throw error;
  }
}
