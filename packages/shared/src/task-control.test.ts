import { describe, expect, it } from 'vitest';
import { expiredUnstarted, stoppedReasons, stoppedStatusOf } from './task-control.js';

const now = 1_700_000_000_000;
const expiring = (expiresAt: number) => ({ deadline: { timeout_ms: 1_000, expires_at: expiresAt } });

describe('stoppedStatusOf', () => {
  it('maps the failed reasons of stopped jobs back to REVOKED and EXPIRED', () => {
    expect(stoppedStatusOf({ data: {}, attemptsStarted: 1, failedReason: stoppedReasons.REVOKED }, 'failed', now)).toBe('REVOKED');
    expect(stoppedStatusOf({ data: {}, attemptsStarted: 1, failedReason: stoppedReasons.EXPIRED }, 'failed', now)).toBe('EXPIRED');
    expect(stoppedStatusOf({ data: {}, attemptsStarted: 1, failedReason: 'boom' }, 'failed', now)).toBeNull();
  });

  it('reads a waiting task past its expiry as EXPIRED, as long as it never started', () => {
    for (const state of ['waiting', 'prioritized', 'delayed'] as const) {
      expect(stoppedStatusOf({ data: expiring(now - 1), attemptsStarted: 0 }, state, now)).toBe('EXPIRED');
      expect(stoppedStatusOf({ data: expiring(now + 1), attemptsStarted: 0 }, state, now)).toBeNull();
      expect(stoppedStatusOf({ data: expiring(now - 1), attemptsStarted: 1 }, state, now)).toBeNull();
    }
  });

  it('leaves running and finished jobs to the plain job state', () => {
    expect(stoppedStatusOf({ data: expiring(now - 1), attemptsStarted: 0 }, 'active', now)).toBeNull();
    expect(stoppedStatusOf({ data: expiring(now - 1), attemptsStarted: 1 }, 'completed', now)).toBeNull();
  });
});

describe('expiredUnstarted', () => {
  it('needs an expiry in the past and no earlier start', () => {
    expect(expiredUnstarted(expiring(now - 1), 0, now)).toBe(true);
    expect(expiredUnstarted(expiring(now), 0, now)).toBe(false);
    expect(expiredUnstarted(expiring(now - 1), 1, now)).toBe(false);
    expect(expiredUnstarted({ model: 'no deadline' }, 0, now)).toBe(false);
  });
});
