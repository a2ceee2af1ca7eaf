/**
 * Email status order. SES events arrive out of order, so a status only ever moves to a higher rank
 * (conditional write); the terminal outcomes outrank everything and the first one wins.
 */
import type { EmailStatus } from '../schemas/emails.js';

export const STATUS_RANK: Record<EmailStatus, number> = {
  scheduled: 0,
  queued: 1,
  sending: 2,
  sent: 3,
  delivery_delayed: 4,
  delivered: 5,
  opened: 6,
  clicked: 7,
  bounced: 100,
  complained: 100,
  failed: 100,
  canceled: 100,
};

/**
 * A send the worker could not confirm (it stopped between handing the message to SES and recording the
 * result) is `failed` below `sent`, so an SES event proving the send happened still moves it forward.
 */
export const INTERRUPTED_FAILURE_RANK = 2;
