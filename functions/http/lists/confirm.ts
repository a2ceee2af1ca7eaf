import { httpHandler } from '../../shared/http/handler.js';
import { ApiError } from '../../shared/errors.js';
import { htmlPage, wantsHtml } from '../../shared/http/html-page.js';
import { ConfirmParams, type ListConfirmation } from '../../schemas/lists.js';
import { confirmSubscription } from '../../domain/lists.js';

/**
 * The link in a double opt-in confirmation email (no key: the signed token is the authorization). A browser
 * gets a page, anything else JSON; a bad link is a clear 404 either way.
 */
export const handler = httpHandler('lists.confirm', { params: ConfirmParams }, async ({ params, event }) => {
  const html = wantsHtml(event);
  try {
    const outcome = await confirmSubscription(params.token);
    if (!html) return { status: 200, body: { confirmed: true, ...outcome } satisfies ListConfirmation };
    const message = outcome.already_confirmed ? `You are already subscribed to ${outcome.list.name}.` : `You are now subscribed to ${outcome.list.name}. Thank you!`;
    return htmlPage(200, 'Subscription confirmed', message);
  } catch (error) {
    if (html && error instanceof ApiError && error.status < 500) return htmlPage(error.status, 'This link does not work', error.message);
    throw error;
  }
});
