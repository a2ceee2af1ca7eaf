import { ApiError } from '../shared/errors.js';
import { httpHandler } from '../shared/http/handler.js';
import { compilePath, FALLBACK_ROUTE, ROUTES } from '../../lib/routes.js';

const matchers = ROUTES.map((route) => ({ method: route.method, match: compilePath(route.path) }));

export const handler = httpHandler(FALLBACK_ROUTE, { ignoreBody: true }, async ({ event }) => {
  const path = event.rawPath;
  const allowed = [...new Set(matchers.filter((m) => m.match(path)).map((m) => m.method))];
  if (allowed.length) {
    throw new ApiError('method_not_allowed', `${event.requestContext.http.method} is not supported on ${path}. Allowed: ${allowed.join(', ')}.`, {
      headers: { Allow: allowed.join(', ') },
    });
  }
  throw new ApiError('not_found', `No route matches ${event.requestContext.http.method} ${path}.`);
});
