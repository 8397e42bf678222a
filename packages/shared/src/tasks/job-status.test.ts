import { describe, expect, it } from 'vitest';
import type { LoggedTaskEvent } from './events.js';
import { expiredUnstarted, taskStatusOf } from './job-status.js';
import type { TaskStatus } from './status.js';

const now = 1_700_000_000_000;
const expiring = (expiresAt: number) => ({ deadline: { timeout_ms: 1_000, expires_at: expiresAt } });
const job = (attemptsMade: number, data: { deadline?: { expires_at?: number } } = {}) => ({ data, attemptsMade, attemptsStarted: attemptsMade });
const loggedStatuses = (...statuses: TaskStatus[]): LoggedTaskEvent[] =>
  statuses.map((status, i) => ({ id: `${i + 1}-0`, event: { type: 'status', status, attempt: 1, at: new Date(now).toISOString() } }));

describe('task status mapping', () => {
  it.each([
    ['waiting', 0, 'PENDING'],
    ['prioritized', 0, 'PENDING'],
    ['delayed', 0, 'PENDING'],
    ['waiting-children', 0, 'PENDING'],
    ['active', 0, 'STARTED'],
    ['active', 2, 'STARTED'],
    ['delayed', 1, 'RETRY'],
    ['waiting', 1, 'RETRY'],
    ['completed', 1, 'SUCCESS'],
    ['failed', 3, 'FAILURE'],
  ] as const)('%s after %i failed attempts reads %s', (state, attempts, status) => {
    expect(taskStatusOf(job(attempts), state, [], now)).toBe(status);
  });

  it('reads a failed job whose log ends REVOKED or EXPIRED as that status, not as FAILURE', () => {
    expect(taskStatusOf(job(1), 'failed', loggedStatuses('STARTED', 'REVOKED'), now)).toBe('REVOKED');
    expect(taskStatusOf(job(1), 'failed', loggedStatuses('EXPIRED'), now)).toBe('EXPIRED');
    expect(taskStatusOf(job(1), 'failed', loggedStatuses('STARTED', 'FAILURE'), now)).toBe('FAILURE');
    // REVOKED earlier in the log is history, not the outcome.
    expect(taskStatusOf(job(2), 'failed', loggedStatuses('REVOKED', 'STARTED', 'FAILURE'), now)).toBe('FAILURE');
  });

  it('reads a waiting task past its expiry as EXPIRED, as long as it never started', () => {
    for (const state of ['waiting', 'prioritized', 'delayed'] as const) {
      expect(taskStatusOf(job(0, expiring(now - 1)), state, [], now)).toBe('EXPIRED');
      expect(taskStatusOf(job(0, expiring(now + 1)), state, [], now)).toBe('PENDING');
      expect(taskStatusOf(job(1, expiring(now - 1)), state, [], now)).toBe('RETRY');
    }
  });

  it('leaves running and finished jobs to the plain job state', () => {
    expect(taskStatusOf(job(0, expiring(now - 1)), 'active', [], now)).toBe('STARTED');
    expect(taskStatusOf(job(1, expiring(now - 1)), 'completed', [], now)).toBe('SUCCESS');
  });
});

describe('expiredUnstarted', () => {
  it('needs an expiry in the past and no earlier start', () => {
    expect(expiredUnstarted(expiring(now - 1), 0, now)).toBe(true);
    expect(expiredUnstarted(expiring(now), 0, now)).toBe(false);
    expect(expiredUnstarted(expiring(now - 1), 1, now)).toBe(false);
    expect(expiredUnstarted({}, 0, now)).toBe(false);
  });
});
