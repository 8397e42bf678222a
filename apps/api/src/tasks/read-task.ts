import type { Job } from 'bullmq';
import { NotFoundError } from '@trainyard/shared/errors';
import type { NotifyRequest } from '@trainyard/shared/notify';
import type { TaskNotifications } from '@trainyard/shared/notify-queue';
import type { TaskError, TaskEventLog } from '@trainyard/shared/task-events';
import { failuresIn, historyOf, lastWorker, progressOf, type TaskResource } from '@trainyard/shared/task-resource';
import { taskStatusOf, taskTypeOf, type JobState } from '@trainyard/shared/tasks';
import type { TaskQueues } from './task-queues.js';

export interface ReadTaskDeps {
  queues: TaskQueues;
  events: TaskEventLog;
  notifications: TaskNotifications;
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
  if (!job || state === 'unknown' || isExpired(job, deps.retentionSeconds)) throw new NotFoundError(`no task ${taskId}`);

  const status = taskStatusOf(state, job.attemptsMade);
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
    finished_at: status === 'SUCCESS' || status === 'FAILURE' ? iso(job.finishedOn) : null,
  };
}

/** Retention is a promise to the user, not only a cleanup hint to BullMQ (which prunes lazily). */
function isExpired(job: Job, retentionSeconds: number): boolean {
  return job.finishedOn !== undefined && Date.now() - job.finishedOn > retentionSeconds * 1000;
}

function iso(epochMs: number | undefined): string | null {
  return epochMs ? new Date(epochMs).toISOString() : null;
}
