import type { JobsOptions } from 'bullmq';
import { resolveDeadline, type DeadlineLimits, type JobInput, type JobQueues, type RequestedDeadline } from '@trainyard/shared/jobs';
import { assertDeliverableWebhook, type NotifyRequest } from '@trainyard/shared/notify';
import { InvalidRequestError } from '@trainyard/shared/platform';
import { newTaskId, type TaskType } from '@trainyard/shared/tasks';

/** The answer to a submit: the task as it was queued. */
export interface SubmittedTask {
  task_id: string;
  type: TaskType;
  status: 'PENDING';
  created_at: string;
  links: { self: string };
}

export interface SubmitDeps {
  queues: JobQueues;
  /** WEBHOOK_ALLOW_HOSTS: webhook hosts exempt from the internal-address check. */
  webhookAllowHosts: readonly string[];
  deadlines: DeadlineLimits;
}

/** The job that carries each task type. */
const taskJobs = { train: 'model.train', predict: 'model.predict', batch: 'batch.predict' } as const;

/** What a submit request says about queueing, beside the job's own data. */
export type QueueRequest = RequestedDeadline & { priority?: number };

/** A webhook that would reach the platform's own network is refused before the task is queued. */
export async function checkNotify(deps: SubmitDeps, notify: NotifyRequest | undefined): Promise<void> {
  if (notify?.webhook) await assertDeliverableWebhook(notify.webhook, deps.webhookAllowHosts);
}

/**
 * Queues a task under a new id (or the `jobId` of extraOptions, for a task that stored something
 * under its id first); its job data carries the deadlines, fixed now from the request and the queue's limits.
 */
export async function enqueueTask<T extends TaskType>(
  deps: SubmitDeps,
  type: T,
  data: Omit<JobInput<(typeof taskJobs)[T]>, 'deadline'>,
  request: QueueRequest,
  extraOptions: JobsOptions = {},
): Promise<SubmittedTask> {
  const resolved = resolveDeadline(deps.deadlines[type], request, Date.now());
  if ('issue' in resolved) {
    const { path, message } = resolved.issue;
    throw new InvalidRequestError(`${path}: ${message}`, [{ path, message }]);
  }
  const taskId = newTaskId(type);
  const options: JobsOptions = { jobId: taskId, ...(request.priority ? { priority: request.priority } : {}), ...extraOptions };
  const job = await deps.queues.add(taskJobs[type], { ...data, deadline: resolved.deadline } as JobInput<(typeof taskJobs)[T]>, options);
  // A deduplicated add answers with the job already in flight.
  const id = job.id ?? taskId;
  return { task_id: id, type, status: 'PENDING', created_at: new Date(job.timestamp).toISOString(), links: { self: `/v1/tasks/${id}` } };
}
