import type { Job } from 'bullmq';
import { deadlineOf } from '@trainyard/shared/deadlines';
import { NotFoundError } from '@trainyard/shared/errors';
import type { NotifyRequest } from '@trainyard/shared/notify';
import type { TaskNotifications } from '@trainyard/shared/notify-queue';
import { stoppedStatusOf, type TaskCancellation } from '@trainyard/shared/task-control';
import type { TaskError, TaskEventLog } from '@trainyard/shared/task-events';
import { failuresIn, historyOf, lastWorker, progressOf, type TaskResource } from '@trainyard/shared/task-resource';
import { taskStatusOf, taskTypeOf, terminalStatuses, type JobState } from '@trainyard/shared/tasks';
import type { TaskQueues } from './task-queues.js';

export interface ReadTaskDeps {
  queues: TaskQueues;
  events: TaskEventLog;
  notifications: TaskNotifications;
  cancels: TaskCancellation;
  retentionSeconds: number;
}

/** Builds the task resource from Redis alone, so every API replica answers the same. */
export async function readTask(deps: ReadTaskDeps, taskId: string): Promise<TaskResource> {
  const type = taskTypeOf(taskId);
  if (!type) throw new NotFoundError(`no task ${taskId}`);
  const queue = deps.queues[type];
  // The state first: BullMQ stores a job's outcome and moves it to completed/failed in one script,
  // so a state read before the job never shows SUCCESS without its result and finish time.
  const state = (await queue.getJobState(taskId)) as JobState;
  const [job, logged] = await Promise.all([queue.getJob(taskId) as Promise<Job | undefined>, deps.events.read(taskId)]);
  if (!job || state === 'unknown') {
    // A task cancelled while waiting left its queue; what the user saw of it is kept instead.
    const revoked = await deps.cancels.revoked(taskId);
    if (revoked) return { ...revoked, notifications: await deps.notifications.statuses(taskId, revoked.status) };
    throw new NotFoundError(`no task ${taskId}`);
  }
  if (isExpired(job, deps.retentionSeconds)) throw new NotFoundError(`no task ${taskId}`);

  const status = stoppedStatusOf(job, state) ?? taskStatusOf(state, job.attemptsMade);
  const failures = failuresIn(logged);
  const lastFailure = failures.at(-1);
  const error: TaskError | null =
    status === 'FAILURE'
      ? lastFailure ? { code: lastFailure.code, message: lastFailure.message } : { code: 'failed', message: job.failedReason }
      : status === 'RETRY' && lastFailure ? { code: lastFailure.code, message: lastFailure.message } : null;

  const notify = (job.data as { notify?: NotifyRequest }).notify;
  return {
    task_id: taskId,
    type,
    status,
    progress: progressOf(job.progress),
    result: status === 'SUCCESS' ? job.returnvalue : null,
    error,
    attempts: job.attemptsStarted,
    failures,
    history: historyOf(logged),
    notifications: notify ? await deps.notifications.statuses(taskId, status, notify) : [],
    worker: lastWorker(logged),
    created_at: iso(job.timestamp)!,
    started_at: iso(job.processedOn),
    // A waiting task past its expiry has no finishedOn yet: it finished when it expired.
    finished_at: terminalStatuses.has(status) ? iso(job.finishedOn ?? deadlineOf(job.data).expires_at) : null,
  };
}

/** Retention is a promise to the user, not only a cleanup hint to BullMQ (which prunes lazily). */
function isExpired(job: Job, retentionSeconds: number): boolean {
  return job.finishedOn !== undefined && Date.now() - job.finishedOn > retentionSeconds * 1000;
}

function iso(epochMs: number | undefined): string | null {
  return epochMs ? new Date(epochMs).toISOString() : null;
}
