import { httpHandler } from '../../shared/http/handler.js';
import { SegmentParams, UpdateSegmentBody } from '../../schemas/segments.js';
import { updateSegment } from '../../repositories/segments.js';

/** Broadcasts already sending keep the filter they started with. */
export const handler = httpHandler('segments.update', { params: SegmentParams, body: UpdateSegmentBody }, async ({ params, body, principal, ifMatch }) => {
  const segment = await updateSegment(principal.teamId!, params.id, body, ifMatch);
  return { status: 200, body: segment, etag: segment.version };
});
