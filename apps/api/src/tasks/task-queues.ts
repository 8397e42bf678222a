import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { defaultJobOptions, type RetryAndRetention } from '@trainyard/shared/job-options';
import { taskTypes, type TaskType } from '@trainyard/shared/tasks';

export interface TaskQueueOptions extends RetryAndRetention {
  prefix: string;
}

export type TaskQueues = Record<TaskType, Queue>;

/**
 * One BullMQ queue per task type, all on the API's fail-fast connection. Retention is explicit:
 * BullMQ keeps finished jobs forever unless told otherwise.
 */
export function createTaskQueues(connection: Redis, options: TaskQueueOptions): TaskQueues {
  const entries = taskTypes.map((type) => {
    const queue = new Queue(type, { connection, prefix: options.prefix, defaultJobOptions: defaultJobOptions(options) });
    // Connection errors reach callers as rejected commands (→ 503); the event itself needs no action.
    queue.on('error', () => {});
    return [type, queue];
  });
  return Object.fromEntries(entries) as TaskQueues;
}

export async function closeTaskQueues(queues: TaskQueues): Promise<void> {
  await Promise.all(Object.values(queues).map((queue) => queue.close()));
}
