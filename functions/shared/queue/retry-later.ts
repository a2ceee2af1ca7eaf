/**
 * Thrown by a queue consumer for a record that should come back later: the record is reported as failed,
 * and becomes visible again after `delaySeconds` (default: the queue's exponential backoff).
 */
export class RetryLater extends Error {
  override name = 'RetryLater';
  constructor(
    message: string,
    readonly delaySeconds?: number,
  ) {
    super(message);
  }
}
