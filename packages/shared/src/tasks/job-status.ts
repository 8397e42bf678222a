import { deadlineOf, type TaskDeadline } from '../jobs/deadlines.js';
import type { LoggedTaskEvent } from './events.js';
import type { JobState, TaskStatus } from './status.js';

/** The part of a BullMQ job its status depends on. */
export interface StatusSource {
  data: { deadline?: TaskDeadline };
  attemptsMade: number;
  attemptsStarted: number;
}

/**
 * The one place that says how a BullMQ job state reads to a user. A task a worker stopped on purpose
 * is a failed job whose log ends with REVOKED or EXPIRED: the log's final status is the marker, not
 * BullMQ's failedReason text. A waiting task past its expiry reads EXPIRED before a worker gets to it.
 */
export function taskStatusOf(job: StatusSource, state: JobState, logged: readonly LoggedTaskEvent[], now = Date.now()): TaskStatus {
  switch (state) {
    case 'completed':
      return 'SUCCESS';
    case 'failed': {
      const final = lastStatus(logged);
      return final === 'REVOKED' || final === 'EXPIRED' ? final : 'FAILURE';
    }
    case 'active':
      return 'STARTED';
    case 'unknown':
      return 'PENDING';
    default:
      if (expiredUnstarted(job.data, job.attemptsStarted, now)) return 'EXPIRED';
      // Back in a waiting state after a failed attempt: another attempt is scheduled.
      return job.attemptsMade > 0 ? 'RETRY' : 'PENDING';
  }
}

/**
 * A task expires only while it never started (no earlier attempt): a retry of a started task runs
 * whatever the clock says. A worker picking a job up counts the pick-up itself as started already.
 */
export function expiredUnstarted(jobData: { deadline?: TaskDeadline }, earlierStarts: number, now = Date.now()): boolean {
  const { expires_at } = deadlineOf(jobData);
  return earlierStarts === 0 && expires_at !== undefined && now > expires_at;
}

function lastStatus(logged: readonly LoggedTaskEvent[]): TaskStatus | null {
  for (let i = logged.length - 1; i >= 0; i--) {
    const { event } = logged[i]!;
    if (event.type === 'status') return event.status;
  }
  return null;
}
