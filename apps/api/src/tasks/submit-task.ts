import type { JobsOptions } from 'bullmq';
import {
  defaultPriority,
  fairPriority,
  resolveDeadline,
  type DeadlineLimits,
  type JobInput,
  type JobQueues,
  type RequestedDeadline,
  type TaskDeadline,
  type TaskBacklog,
} from '@trainyard/shared/jobs';
import { assertDeliverableWebhook, type NotifyRequest } from '@trainyard/shared/notify';
import { AppError, InvalidRequestError } from '@trainyard/shared/platform';
import { type JobState, type SubmittedTask, type TaskType } from '@trainyard/shared/tasks';

export type { SubmittedTask };
import type { Principal } from '../auth/principal.js';

export interface SubmitDeps {
  queues: JobQueues;
  /** WEBHOOK_ALLOW_HOSTS: webhook hosts exempt from the internal-address check. */
  webhookAllowHosts: readonly string[];
  deadlines: DeadlineLimits;
  backlog: TaskBacklog;
  /** TENANT_MAX_TASKS: a tenant's tasks queued and running at most. */
  tenantMaxTasks: number;
  /** SUBMIT_DURABILITY=replicated: resolves once a replica holds the job stored under the key. */
  replicated?: (jobKey: string, taskId: string) => Promise<void>;
}

/** The job that carries each task type. */
const taskJobs = { train: 'model.train', predict: 'model.predict', batch: 'batch.predict' } as const;

/** What a submit request says about queueing, beside the job's own data. */
export type QueueRequest = RequestedDeadline & { priority?: number };

/** A webhook that would reach the platform's own network is refused before the task is queued. */
export async function checkNotify(deps: SubmitDeps, notify: NotifyRequest | undefined): Promise<void> {
  if (notify?.webhook) await assertDeliverableWebhook(notify.webhook, deps.webhookAllowHosts);
}

/** A task about to be queued: what its request fixed before it is counted in and added. */
export interface TaskTicket<T extends TaskType = TaskType> {
  type: T;
  taskId: string;
  tenant: string;
  /** One time for the job and the tenant's task index, so `since` and `created_at` agree. */
  submittedAt: number;
  priority: number;
  deadline: TaskDeadline;
}

/**
 * Queues a task of the caller's tenant under a new id (or the `jobId` of extraOptions, for a task
 * that stored something under its id first). Its job data carries the tenant and the deadlines,
 * fixed now from the request and the queue's limits; its BullMQ priority is fair between tenants
 * (fairPriority); the tenant's quota of unfinished tasks is checked in the same command that counts
 * the task in.
 */
export async function enqueueTask<T extends TaskType>(
  deps: SubmitDeps,
  type: T,
  caller: Principal,
  data: Omit<JobInput<(typeof taskJobs)[T]>, 'deadline' | 'tenant'>,
  request: QueueRequest,
  extraOptions: JobsOptions = {},
): Promise<SubmittedTask> {
  return enqueueTicket(deps, taskTicket(deps, type, caller, request, (data as { model?: string }).model ?? null, extraOptions.jobId), data, extraOptions);
}

/** Counts a ticket's task into its tenant's backlog (429 at the quota), then queues it. */
export async function enqueueTicket<T extends TaskType>(
  deps: SubmitDeps,
  ticket: TaskTicket<T>,
  data: Omit<JobInput<(typeof taskJobs)[T]>, 'deadline' | 'tenant'>,
  extraOptions: JobsOptions = {},
): Promise<SubmittedTask> {
  const { type, tenant, taskId, submittedAt } = ticket;
  const ahead = await admitted(deps, ticket, await deps.backlog.admit(tenant, type, taskId, deps.tenantMaxTasks, submittedAt));
  return queueAdmitted(deps, ticket, data, ahead, extraOptions);
}

/** The ticket of a task the request asks for: 400 for a deadline out of bounds, 403 for a priority the key may not use. */
export function taskTicket<T extends TaskType>(deps: SubmitDeps, type: T, caller: Principal, request: QueueRequest, model: string | null, jobId?: string): TaskTicket<T> {
  const resolved = resolveDeadline(deps.deadlines[type], request, Date.now());
  if ('issue' in resolved) {
    const { path, message } = resolved.issue;
    throw new InvalidRequestError(`${path}: ${message}`, [{ path, message }]);
  }
  const priority = allowedPriority(caller, request.priority);
  return { type, taskId: jobId ?? deps.queues.newTaskId(type, caller.tenant, model), tenant: caller.tenant, submittedAt: Date.now(), priority, deadline: resolved.deadline };
}

/** Adds a task its tenant's backlog admitted (`ahead` of its tasks unfinished before it) to its queue. */
export async function queueAdmitted<T extends TaskType>(
  deps: SubmitDeps,
  ticket: TaskTicket<T>,
  data: Omit<JobInput<(typeof taskJobs)[T]>, 'deadline' | 'tenant'>,
  ahead: number,
  extraOptions: JobsOptions = {},
): Promise<SubmittedTask> {
  const { type, taskId, tenant, submittedAt } = ticket;
  const options: JobsOptions = { jobId: taskId, timestamp: submittedAt, priority: fairPriority(ahead, ticket.priority), ...extraOptions };
  const jobData = { ...data, tenant, deadline: ticket.deadline } as JobInput<(typeof taskJobs)[T]>;
  const job = await deps.queues.add(taskJobs[type], jobData, options).catch(async (error: unknown) => {
    await deps.backlog.finished(tenant, type, taskId).catch(() => {});
    throw error;
  });
  // A deduplicated add answers with the job already in flight, which was counted when it came.
  const id = job.id ?? taskId;
  if (id !== taskId) await deps.backlog.finished(tenant, type, taskId).catch(() => {});
  await deps.replicated?.(deps.queues.forTask(type, id).toKey(id), id);
  return { task_id: id, type, status: 'PENDING', created_at: new Date(job.timestamp).toISOString(), links: { self: `/v1/tasks/${id}` } };
}

/** The request's priority, if the key may use it (403 naming the priorities it may use). */
function allowedPriority(caller: Principal, requested: number | undefined): number {
  if (requested === undefined) return Math.max(defaultPriority, caller.minPriority);
  if (requested >= caller.minPriority) return requested;
  const message = `this API key may use priorities ${caller.minPriority} to 100`;
  throw new AppError('forbidden', `priority: ${message}`, [{ path: 'priority', message }]);
}

/**
 * How many of the tenant's tasks on the queue are unfinished ahead of an admitted task, given what
 * its admission answered (null: the tenant was at its quota). At the quota, tasks whose end nobody
 * recorded are pruned once and the task admitted again before the answer is a 429.
 */
export async function admitted(deps: SubmitDeps, ticket: TaskTicket, ahead: number | null): Promise<number> {
  if (ahead !== null) return ahead;
  const { tenant, type, taskId, submittedAt } = ticket;
  const stateOf = async (queue: TaskType, id: string) => (await deps.queues.forTask(queue, id).getJobState(id)) as JobState;
  if ((await deps.backlog.prune(tenant, stateOf)) > 0) ahead = await deps.backlog.admit(tenant, type, taskId, deps.tenantMaxTasks, submittedAt);
  if (ahead !== null) return ahead;
  throw new AppError('quota_exceeded', `tenant "${tenant}" has ${deps.tenantMaxTasks} tasks queued or running, its quota; submit again once some have finished`);
}
