import { idempotentHttpHandler } from '../../shared/http/idempotency.js';
import { newId } from '../../shared/ids.js';
import { CreateSegmentBody } from '../../schemas/segments.js';
import { createSegment } from '../../repositories/segments.js';

export const handler = idempotentHttpHandler('segments.create', { body: CreateSegmentBody }, async ({ body, principal, setResourceId }) => {
  const segment = await createSegment(principal.teamId!, newId('segment'), body);
  setResourceId(segment.id);
  return { status: 201, body: segment, etag: segment.version };
});
