import { createHash } from 'node:crypto';
import type { JobsOptions } from 'bullmq';
import { deadlineEnv, deadlineLimits, defaultJobOptions, fairPriority, resolveDeadline, TaskBacklog, type RetryAndRetention } from '@trainyard/shared/jobs';
import { defaultTenant, retentionEnv, type RedisClient } from '@trainyard/shared/platform';
import { newTaskId } from '@trainyard/shared/tasks';
import type { BulkJob } from './raw-bullmq.js';

// What our API gives every predict job with the bench's settings (the defaults): retries
// (TASK_ATTEMPTS 3, TASK_BACKOFF_MS 1000, the API's config) and retention by age and count.
const { TASK_RETENTION_S: retentionSeconds, TASK_RETENTION_COUNT: retentionCount } = retentionEnv.parse({});
export const ourRetries: RetryAndRetention = { attempts: 3, backoffMs: 1_000, retentionSeconds, retentionCount };
const taskOptions = defaultJobOptions(ourRetries);
/** As high as the bench's API's TENANT_MAX_TASKS: nothing is refused. */
const unrefusedQuota = 1_000_000_000;
const predictLimits = deadlineLimits(deadlineEnv.parse({})).predict;
let rowsMade = 0;

/** The tenants' backlogs and task indexes, as our API keeps them with the bench's retention. */
export const ourBacklog = (redis: RedisClient, prefix: string) => new TaskBacklog(redis, prefix, ourRetries);

/**
 * `count` predict jobs as our API queues a busy tenant's one-row predictions, for a no-op worker to
 * drain: a task id as jobId, the submit time, the fair priority of the tenant's i-th unfinished task
 * (rising by round, as its admission answers), a deduplication id per batch (each row distinct, so
 * none is deduplicated), the retries and retention above, and job data of our shape and size.
 */
export function ourPredictJobs(count: number): BulkJob[] {
  return Array.from({ length: count }, (_, ahead) => ourPredictJob(ahead));
}

/** A predict task of the default tenant admitted as our API admits it (TaskBacklog.admit), and its job at the fair place the admission answered. */
export async function admitOurPredictJob(backlog: TaskBacklog): Promise<BulkJob> {
  const taskId = newTaskId('predict');
  const ahead = await backlog.admit(defaultTenant, 'predict', taskId, unrefusedQuota, Date.now());
  if (ahead === null) throw new Error('no quota can refuse here');
  return ourPredictJob(ahead, taskId);
}

/** One such job, for a tenant with `ahead` unfinished tasks. */
export function ourPredictJob(ahead: number, taskId = newTaskId('predict')): BulkJob {
  const submittedAt = Date.now();
  const inputs = [[5.1, 3.5, 1.4, 0.2 + ++rowsMade * 1e-9]];
  const resolved = resolveDeadline(predictLimits, {}, submittedAt);
  if (!('deadline' in resolved)) throw new Error('the default predict deadline is out of bounds');
  const data = { tenant: defaultTenant, model: 'bench-iris-0', version: 1, inputs, output: 'prediction', deadline: resolved.deadline };
  const batchId = `predict:bench-iris-0@1:${createHash('sha256').update(JSON.stringify(inputs)).digest('hex')}`;
  const opts: JobsOptions = {
    ...taskOptions,
    jobId: taskId,
    timestamp: submittedAt,
    priority: fairPriority(ahead),
    deduplication: { id: batchId },
  };
  return { name: 'model.predict', data, opts };
}
