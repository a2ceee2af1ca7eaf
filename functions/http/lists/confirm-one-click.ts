import { httpHandler } from '../../shared/http/handler.js';
import { checkOneClickBody } from '../../shared/http/one-click.js';
import { routeById } from '../../../lib/routes.js';
import { ConfirmParams, type ListConfirmation } from '../../schemas/lists.js';
import { confirmSubscription } from '../../domain/lists.js';

/** The confirmation link POSTed (a form with a button, or a one-click client): the same as opening it. */
export const handler = httpHandler('lists.confirm-one-click', { params: ConfirmParams, ignoreBody: true }, async ({ params, event }) => {
  checkOneClickBody(event, routeById('lists.confirm-one-click'));
  return { status: 200, body: { confirmed: true, ...(await confirmSubscription(params.token)) } satisfies ListConfirmation };
});
