import { describe, expect, it } from 'vitest';
import { pauseFor } from '../../functions/domain/auto-pause.js';

const limits = { bounceRate: 0.05, complaintRate: 0.001, minSends: 200 };
const at = '2026-11-23T00:00:00.000Z';

describe('pauseFor', () => {
  it('pauses over the bounce limit, naming the rate and the sends it is over', () => {
    expect(pauseFor({ sent: 1000, bounced: 51, complained: 0 }, limits, at)).toMatchObject({ reason: 'bounce_rate', bounce_rate: 0.051, sent: 1000, at });
  });

  it('pauses over the complaint limit', () => {
    expect(pauseFor({ sent: 1000, bounced: 0, complained: 2 }, limits, at)).toMatchObject({ reason: 'complaint_rate', complaint_rate: 0.002 });
  });

  it('does not pause at the limits exactly, nor under the minimum number of sends', () => {
    expect(pauseFor({ sent: 1000, bounced: 50, complained: 1 }, limits, at)).toBeNull();
    expect(pauseFor({ sent: 199, bounced: 199, complained: 199 }, limits, at)).toBeNull();
  });
});
