import type { JobQueues } from '@trainyard/shared/jobs';
import type { TaskNotifications } from '@trainyard/shared/notify';
import { NotFoundError, tenantOf } from '@trainyard/shared/platform';
import { buildTaskResource, taskStatusOf, taskTypeOf, type JobState, type TaskCancellation, type TaskEventLog, type TaskResource } from '@trainyard/shared/tasks';

export interface ReadTaskDeps {
  queues: JobQueues;
  events: TaskEventLog;
  notifications: TaskNotifications;
  cancels: TaskCancellation;
  retentionSeconds: number;
}

/**
 * Builds the task resource from Redis alone, so every API replica answers the same. Another
 * tenant's task answers exactly as one that does not exist.
 */
export async function readTask(deps: ReadTaskDeps, taskId: string, tenant: string): Promise<TaskResource> {
  const type = taskTypeOf(taskId);
  const missing = () => new NotFoundError(`no task ${taskId}`);
  if (!type) throw missing();
  const queue = deps.queues.get(type);
  // The state first: BullMQ stores a job's outcome and moves it to completed/failed in one script,
  // so a state read before the job never shows SUCCESS without its result and finish time.
  const state = (await queue.getJobState(taskId)) as JobState;
  const [job, logged] = await Promise.all([queue.getJob(taskId), deps.events.read(taskId)]);
  if (!job || state === 'unknown') {
    // A task cancelled while waiting left its queue; what the user saw of it is kept instead.
    const revoked = await deps.cancels.revoked(taskId);
    if (!revoked || revoked.tenant !== tenant) throw missing();
    return { ...revoked.task, notifications: await deps.notifications.statuses(taskId, revoked.task.status) };
  }
  if (tenantOf(job.data) !== tenant) throw missing();
  // Retention is a promise to the user, not only a cleanup hint to BullMQ (which prunes lazily).
  if (job.finishedOn !== undefined && Date.now() - job.finishedOn > deps.retentionSeconds * 1000) throw missing();

  const status = taskStatusOf(job, state, logged);
  const { notify } = job.data;
  const notifications = notify ? await deps.notifications.statuses(taskId, status, notify) : [];
  return buildTaskResource(job, { type, status, logged, notifications });
}
