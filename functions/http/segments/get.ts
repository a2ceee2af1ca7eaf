import { httpHandler } from '../../shared/http/handler.js';
import { SegmentParams } from '../../schemas/segments.js';
import { getTeamSegment } from '../../repositories/segments.js';

export const handler = httpHandler('segments.get', { params: SegmentParams }, async ({ params, principal }) => {
  const segment = await getTeamSegment(principal.teamId!, params.id);
  return { status: 200, body: segment, etag: segment.version };
});
