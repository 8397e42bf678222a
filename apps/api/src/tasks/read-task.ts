import type { JobQueues } from '@trainyard/shared/jobs';
import type { TaskNotifications } from '@trainyard/shared/notify';
import { NotFoundError } from '@trainyard/shared/platform';
import { buildTaskResource, taskStatusOf, taskTypeOf, type JobState, type TaskCancellation, type TaskEventLog, type TaskResource } from '@trainyard/shared/tasks';

export interface ReadTaskDeps {
  queues: JobQueues;
  events: TaskEventLog;
  notifications: TaskNotifications;
  cancels: TaskCancellation;
  retentionSeconds: number;
}

/** Builds the task resource from Redis alone, so every API replica answers the same. */
export async function readTask(deps: ReadTaskDeps, taskId: string): Promise<TaskResource> {
  const type = taskTypeOf(taskId);
  if (!type) throw new NotFoundError(`no task ${taskId}`);
  const queue = deps.queues.get(type);
  // The state first: BullMQ stores a job's outcome and moves it to completed/failed in one script,
  // so a state read before the job never shows SUCCESS without its result and finish time.
  const state = (await queue.getJobState(taskId)) as JobState;
  const [job, logged] = await Promise.all([queue.getJob(taskId), deps.events.read(taskId)]);
  if (!job || state === 'unknown') {
    // A task cancelled while waiting left its queue; what the user saw of it is kept instead.
    const revoked = await deps.cancels.revoked(taskId);
    if (revoked) return { ...revoked, notifications: await deps.notifications.statuses(taskId, revoked.status) };
    throw new NotFoundError(`no task ${taskId}`);
  }
  // Retention is a promise to the user, not only a cleanup hint to BullMQ (which prunes lazily).
  if (job.finishedOn !== undefined && Date.now() - job.finishedOn > deps.retentionSeconds * 1000) throw new NotFoundError(`no task ${taskId}`);

  const status = taskStatusOf(job, state, logged);
  const { notify } = job.data;
  const notifications = notify ? await deps.notifications.statuses(taskId, status, notify) : [];
  return buildTaskResource(job, { type, status, logged, notifications });
}
