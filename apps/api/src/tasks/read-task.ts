import type { JobQueues } from '@trainyard/shared/jobs';
import type { NotifyTarget, TaskNotifications } from '@trainyard/shared/notify';
import { NotFoundError, tenantOf } from '@trainyard/shared/platform';
import {
  buildTaskResource,
  taskStatusOf,
  taskTypeOf,
  type TaskCancellation,
  type TaskEventLog,
  type TaskReader,
  type TaskResource,
  type TaskSnapshot,
} from '@trainyard/shared/tasks';

export interface ReadTaskDeps {
  queues: JobQueues;
  tasks: TaskReader;
  events: TaskEventLog;
  notifications: TaskNotifications;
  cancels: TaskCancellation;
  retentionSeconds: number;
}

/** A task as its tenant sees it, and the snapshot it was built from. */
export interface ReadTask {
  task: TaskResource;
  snapshot: TaskSnapshot;
}

/**
 * Builds the task resource from Redis alone (one round trip), so every API replica answers the
 * same. Another tenant's task answers exactly as one that does not exist.
 */
export async function readTask(deps: ReadTaskDeps, taskId: string, tenant: string): Promise<TaskResource> {
  return (await readTaskWithSnapshot(deps, taskId, tenant)).task;
}

export async function readTaskWithSnapshot(deps: ReadTaskDeps, taskId: string, tenant: string): Promise<ReadTask> {
  const type = taskTypeOf(taskId);
  const missing = () => new NotFoundError(`no task ${taskId}`);
  if (!type) throw missing();
  const snapshot = await deps.tasks.read(type, taskId);
  const { state, job, logged, kept, retriedBy } = snapshot;
  if (!job || state === 'unknown') {
    // A task cancelled while waiting left its queue, one answered from the cache never joined it:
    // what the user saw of it is kept instead.
    if (!kept || kept.tenant !== tenant) throw missing();
    const task = { ...kept.task, retried_by: retriedBy };
    if (task.status === 'REVOKED') return { task: { ...task, notifications: await deps.notifications.statuses(taskId, task.status) }, snapshot };
    return { task, snapshot };
  }
  if (tenantOf(job.data) !== tenant) throw missing();
  // Retention is a promise to the user, not only a cleanup hint to BullMQ (which prunes lazily).
  if (job.finishedOn !== undefined && Date.now() - job.finishedOn > deps.retentionSeconds * 1000) throw missing();

  const status = taskStatusOf(job, state, logged);
  const { notify } = job.data as NotifyTarget;
  const notifications = notify ? await deps.notifications.statuses(taskId, status, notify) : [];
  return { task: buildTaskResource(job, { type, status, logged, notifications, retriedBy }), snapshot };
}
