import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { taskTypes, type TaskType } from '@trainyard/shared/tasks';

export interface TaskQueueOptions {
  prefix: string;
  attempts: number;
  backoffMs: number;
  retentionSeconds: number;
  retentionCount: number;
}

export type TaskQueues = Record<TaskType, Queue>;

/**
 * One BullMQ queue per task type, all on the API's fail-fast connection. Retention is explicit:
 * BullMQ keeps finished jobs forever unless told otherwise.
 */
export function createTaskQueues(connection: Redis, options: TaskQueueOptions): TaskQueues {
  const keep = { age: options.retentionSeconds, count: options.retentionCount };
  const defaultJobOptions: JobsOptions = {
    attempts: options.attempts,
    backoff: { type: 'exponential', delay: options.backoffMs },
    removeOnComplete: keep,
    removeOnFail: keep,
  };
  const entries = taskTypes.map((type) => {
    const queue = new Queue(type, { connection, prefix: options.prefix, defaultJobOptions });
    // Connection errors reach callers as rejected commands (→ 503); the event itself needs no action.
    queue.on('error', () => {});
    return [type, queue];
  });
  return Object.fromEntries(entries) as TaskQueues;
}

export async function closeTaskQueues(queues: TaskQueues): Promise<void> {
  await Promise.all(Object.values(queues).map((queue) => queue.close()));
}
