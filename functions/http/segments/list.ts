import { httpHandler } from '../../shared/http/handler.js';
import { ListSegmentsQuery } from '../../schemas/segments.js';
import { listSegments } from '../../repositories/segments.js';

export const handler = httpHandler('segments.list', { query: ListSegmentsQuery }, async ({ query, principal }) => ({
  status: 200,
  body: await listSegments(principal.teamId!, query),
}));
