import type { TaskBacklog } from '@trainyard/shared/jobs';
import { ConflictError } from '@trainyard/shared/platform';
import { storageKeys, type ObjectStore } from '@trainyard/shared/storage';
import { statusEvent, terminalStatuses, type TaskResource } from '@trainyard/shared/tasks';
import { readTask, type ReadTaskDeps } from './read-task.js';

export interface CancelDeps extends ReadTaskDeps {
  backlog: TaskBacklog;
  /** Where a training waiting after its worker died keeps its checkpoint. */
  store: ObjectStore;
}

export interface CancelledTask {
  task: TaskResource;
  /** True while the worker running the task has yet to stop it; the task becomes REVOKED then. */
  stopping: boolean;
}

/**
 * POST /v1/tasks/{id}/cancel. A waiting task leaves its queue and is REVOKED at once; a running one
 * is stopped by whichever worker runs it. Cancelling a REVOKED task again changes nothing; any other
 * finished task is a conflict.
 */
export async function cancelTask(deps: CancelDeps, taskId: string, tenant: string): Promise<CancelledTask> {
  const task = await readTask(deps, taskId, tenant);
  if (task.status === 'REVOKED') return { task, stopping: false };
  if (terminalStatuses.has(task.status)) {
    throw new ConflictError('already_finished', `task ${taskId} has already finished as ${task.status}`);
  }
  // The flag first: a worker picking the task up from now on refuses it, whatever happens below.
  await deps.cancels.request(taskId);
  if (task.status === 'STARTED') return { task, stopping: true };
  return revokeWaiting(deps, task, tenant);
}

async function revokeWaiting(deps: CancelDeps, task: TaskResource, tenant: string): Promise<CancelledTask> {
  const queue = deps.queues.forTask(task.type, task.task_id);
  const job = await queue.getJob(task.task_id);
  const event = statusEvent('REVOKED', task.attempts + 1);
  const { type: _type, ...entry } = event;
  const revoked: TaskResource = { ...task, status: 'REVOKED', error: null, history: [...task.history, entry], finished_at: event.at };
  await deps.cancels.keepRevoked({ task: revoked, tenant, ...(job ? { request: { name: job.name, data: job.data as Record<string, unknown> } } : {}) });
  // 0: a worker holds the task's lock, it started meanwhile; the flag stops it there.
  if ((await queue.remove(task.task_id)) === 0) {
    await deps.cancels.forgetRevoked(task.task_id);
    return { task: await readTask(deps, task.task_id, tenant), stopping: true };
  }
  await deps.events.append(task.task_id, event, { tenant, type: task.type, model: task.model });
  await deps.backlog.finished(tenant, task.type, task.task_id);
  // A training back in the queue after its worker died may hold a checkpoint; nothing resumes from it now.
  // A failed delete leaves an orphan object, not a wrong answer, so the cancel stands either way.
  if (task.type === 'train') await deps.store.delete(storageKeys(tenant).checkpoint(task.task_id)).catch(() => {});
  if (job) await deps.notifications.enqueue(revoked, job.data);
  return { task: revoked, stopping: false };
}
