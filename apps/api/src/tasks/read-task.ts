import type { Job } from 'bullmq';
import { NotFoundError } from '@trainyard/shared/errors';
import type { TrainProgress } from '@trainyard/shared/jobs';
import type { LoggedTaskEvent, TaskError, TaskEventLog } from '@trainyard/shared/task-events';
import type { TaskResource } from '@trainyard/shared/task-resource';
import { taskStatusOf, taskTypeOf, type JobState } from '@trainyard/shared/tasks';
import type { TaskQueues } from './task-queues.js';

export interface ReadTaskDeps {
  queues: TaskQueues;
  events: TaskEventLog;
  retentionSeconds: number;
}

/** Builds the task resource from Redis alone, so every API replica answers the same. */
export async function readTask(deps: ReadTaskDeps, taskId: string): Promise<TaskResource> {
  const type = taskTypeOf(taskId);
  if (!type) throw new NotFoundError(`no task ${taskId}`);
  const queue = deps.queues[type];
  // Sent together: one round trip on the shared connection.
  const [job, state, logged] = await Promise.all([
    queue.getJob(taskId) as Promise<Job | undefined>,
    queue.getJobState(taskId) as Promise<JobState>,
    deps.events.read(taskId),
  ]);
  if (!job || state === 'unknown' || isExpired(job, deps.retentionSeconds)) throw new NotFoundError(`no task ${taskId}`);

  const status = taskStatusOf(state, job.attemptsMade);
  const failures = failuresIn(logged);
  const lastFailure = failures.at(-1);
  const error: TaskError | null =
    status === 'FAILURE'
      ? lastFailure ? { code: lastFailure.code, message: lastFailure.message } : { code: 'failed', message: job.failedReason }
      : status === 'RETRY' && lastFailure ? { code: lastFailure.code, message: lastFailure.message } : null;

  return {
    task_id: taskId,
    type,
    status,
    progress: isProgress(job.progress) ? job.progress : null,
    result: status === 'SUCCESS' ? job.returnvalue : null,
    error,
    attempts: job.attemptsStarted,
    failures,
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

function failuresIn(logged: LoggedTaskEvent[]): TaskResource['failures'] {
  return logged.flatMap(({ event }) =>
    event.type === 'status' && event.error ? [{ attempt: event.attempt, at: event.at, ...event.error }] : [],
  );
}

function lastWorker(logged: LoggedTaskEvent[]): string | null {
  for (let i = logged.length - 1; i >= 0; i--) {
    const { event } = logged[i]!;
    if (event.type === 'status' && event.worker) return event.worker;
  }
  return null;
}

function isProgress(value: unknown): value is TrainProgress {
  return typeof value === 'object' && value !== null && 'percent' in value;
}

function iso(epochMs: number | undefined): string | null {
  return epochMs ? new Date(epochMs).toISOString() : null;
}
