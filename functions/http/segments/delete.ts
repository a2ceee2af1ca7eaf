import { httpHandler } from '../../shared/http/handler.js';
import { SegmentParams, type SegmentDeleted } from '../../schemas/segments.js';
import { deleteSegment } from '../../repositories/segments.js';

export const handler = httpHandler('segments.delete', { params: SegmentParams }, async ({ params, principal }) => {
  await deleteSegment(principal.teamId!, params.id);
  return { status: 200, body: { id: params.id, deleted: true } satisfies SegmentDeleted };
});
