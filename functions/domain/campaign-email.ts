/**
 * What triggered campaigns and broadcasts send a contact, and how a refused send is handled, in one place for
 * both: the template with the contact's variables, the campaign/contact tags the stats and attribution read,
 * one-click unsubscribe; quota refusals wait for the reset, throttling is retried, anything else is broken.
 */
import { ApiError } from '../shared/errors.js';
import type { Contact } from '../schemas/contacts.js';
import type { Address, SendEmailBody } from '../schemas/emails.js';
import { contactTemplateVariables } from './contacts.js';

export function campaignEmail(
  campaignId: string,
  contact: Contact,
  content: { from: Address; reply_to?: Address | null; subject?: string | null; template_id: string; template_version?: number },
): SendEmailBody {
  return {
    from: content.from,
    to: [{ email: contact.email }],
    ...(content.reply_to && { reply_to: [content.reply_to] }),
    ...(content.subject && { subject: content.subject }),
    template_id: content.template_id,
    ...(content.template_version !== undefined && { template_version: content.template_version }),
    variables: contactTemplateVariables(contact),
    tags: { mailroom_campaign: campaignId, mailroom_contact: contact.id },
    list_unsubscribe: true,
  };
}

/**
 * A send that `acceptEmails` refused: over the quota → when to try again; a refusal a retry cannot fix (a
 * deleted template, an unverified domain) → `broken`. Anything worth retrying (throttling, unavailability,
 * not an API error at all) is thrown again for the caller's retries.
 */
export function sendRefusal(error: unknown): { retryAt: number } | { broken: ApiError } {
  if (error instanceof ApiError && error.code === 'quota_exceeded') return { retryAt: Date.parse(String((error.options.details as { resets_at: string }).resets_at)) };
  if (!(error instanceof ApiError) || error.retryable || error.status >= 500) throw error;
  return { broken: error };
}
