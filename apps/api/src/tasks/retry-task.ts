import { z } from 'zod';
import type { TaskDeadline } from '@trainyard/shared/jobs';
import { AppError, ConflictError, modelName } from '@trainyard/shared/platform';
import { taskTypes, type TaskResource, type TaskRetries, type TaskStatus } from '@trainyard/shared/tasks';
import type { Principal } from '../auth/principal.js';
import { findTasks, sinceTime, type ListTasksDeps } from './list-tasks.js';
import { readTask, readTaskWithSnapshot } from './read-task.js';
import { enqueueTask, type QueueRequest, type SubmitDeps } from './submit-task.js';

export type RetryDeps = ListTasksDeps & SubmitDeps & { retries: TaskRetries };

/** The final statuses a task can be re-run from. */
const retryableStatuses = ['FAILURE', 'REVOKED', 'EXPIRED'] as const satisfies readonly TaskStatus[];
const retryable: ReadonlySet<TaskStatus> = new Set(retryableStatuses);

/** POST /v1/tasks:retry body. */
export const bulkRetryRequest = z.strictObject({
  status: z.enum(retryableStatuses).default('FAILURE'),
  type: z.enum(taskTypes).optional(),
  model: modelName.optional(),
  since: sinceTime.optional(),
  limit: z.int().min(1).max(1_000).default(100),
});
export type BulkRetryRequest = z.output<typeof bulkRetryRequest>;

/**
 * POST /v1/tasks/{id}/retry: queues a failed, revoked or expired task's request again as a new task
 * of the same tenant, once. The claim on the old task comes first, so two retries racing on any
 * replicas make one task; a retry that is then refused (quota) frees it again.
 */
export async function retryTask(deps: RetryDeps, taskId: string, caller: Principal): Promise<TaskResource> {
  const { task, snapshot } = await readTaskWithSnapshot(deps, taskId, caller.tenant);
  if (!retryable.has(task.status)) {
    throw new ConflictError('task_not_retryable', `task ${taskId} is ${task.status}; only FAILURE, REVOKED and EXPIRED tasks can be retried`);
  }
  if (task.retried_by) throw retriedAlready(taskId, task.retried_by);
  const request = snapshot.job ? { name: snapshot.job.name, data: snapshot.job.data as Record<string, unknown> } : snapshot.kept?.request;
  if (!request) throw new ConflictError('task_not_retryable', `task ${taskId} was revoked before its request was kept for retries`);
  const { tenant: _tenant, deadline, retry_of: _retryOf, ...data } = request.data as { tenant?: string; deadline?: TaskDeadline; retry_of?: string };
  if (task.type === 'batch' && 'inline' in ((data as { input?: object }).input ?? {})) {
    throw new ConflictError('task_not_retryable', `task ${taskId} scored inline rows, which are stored for that task only; submit them again`);
  }
  const retryId = deps.queues.newTaskId(task.type, caller.tenant, task.model);
  const holder = await deps.retries.claim(taskId, retryId);
  if (holder !== retryId) throw retriedAlready(taskId, holder);
  try {
    await enqueueTask(deps, task.type, caller, { ...data, retry_of: taskId } as never, queueRequestOf(deadline), { jobId: retryId });
  } catch (error) {
    await deps.retries.release(taskId, retryId).catch(() => {});
    throw error;
  }
  return readTask(deps, retryId, caller.tenant);
}

/**
 * POST /v1/tasks:retry: retries the tenant's not-yet-retried tasks that match, newest first. A
 * refusal (the quota, say) ends the run: what was retried until then is the answer, or the
 * refusal when nothing was.
 */
export async function retryMatching(deps: RetryDeps, caller: Principal, request: BulkRetryRequest): Promise<TaskResource[]> {
  const retried: TaskResource[] = [];
  let after = null;
  do {
    const page = await findTasks(deps, caller.tenant, { ...request, sinceMs: request.since }, request.limit - retried.length, after, (task) => !task.retried_by);
    for (const task of page.tasks) {
      try {
        retried.push(await retryTask(deps, task.task_id, caller));
      } catch (error) {
        // Retried meanwhile by another request: not this one's to count.
        if (error instanceof AppError && error.code === 'task_not_retryable') continue;
        if (retried.length) return retried;
        throw error;
      }
    }
    after = page.next;
  } while (after && retried.length < request.limit);
  return retried;
}

function retriedAlready(taskId: string, retriedBy: string): ConflictError {
  return new ConflictError('task_not_retryable', `task ${taskId} was retried already, by ${retriedBy}`);
}

/** The retry runs with the original's timeout; its expiry starts again from now, as for a new request. */
function queueRequestOf(deadline: TaskDeadline | undefined): QueueRequest {
  return deadline?.timeout_ms ? { timeout_s: Math.ceil(deadline.timeout_ms / 1000) } : {};
}
