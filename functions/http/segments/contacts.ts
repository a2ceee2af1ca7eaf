import { httpHandler } from '../../shared/http/handler.js';
import { SegmentContactsQuery, SegmentParams } from '../../schemas/segments.js';
import { segmentContacts } from '../../domain/segments.js';

/** A page of the contacts the segment matches now; the first page also counts them all (see domain/segments.ts for the cost). */
export const handler = httpHandler('segments.contacts', { params: SegmentParams, query: SegmentContactsQuery }, async ({ params, query, principal }) => ({
  status: 200,
  body: await segmentContacts(principal.teamId!, params.id, query),
}));
