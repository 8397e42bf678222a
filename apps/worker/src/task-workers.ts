import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '@trainyard/shared/logger';
import type { TaskEventLog } from '@trainyard/shared/task-events';
import type { TaskType } from '@trainyard/shared/tasks';
import { TaskRevokedError, untilStopped, type TaskControl } from './task-control.js';
import { runAttempt, type OnFinalStatus } from './task-lifecycle.js';

export interface TaskWorkerOptions {
  connection: Redis;
  prefix: string;
  events: TaskEventLog;
  /** Queues the task's notifications as part of finishing it. */
  onFinal?: OnFinalStatus;
  control: TaskControl;
  log: Logger;
  lockDurationMs: number;
  stalledIntervalMs: number;
}

/**
 * A BullMQ worker for one task queue; every attempt is recorded in the task's event log and runs
 * under the task's controls (cancel, timeout, expiry). The processor gets the attempt's AbortSignal.
 */
export function createTaskWorker(
  type: TaskType,
  concurrency: number,
  process: (job: Job, signal: AbortSignal) => Promise<unknown>,
  options: TaskWorkerOptions,
): Worker {
  const attempt = (job: Job) =>
    options.control.run(
      job,
      (signal, cancelledEarlier) =>
        runAttempt(
          job,
          options.events,
          async () => {
            if (await cancelledEarlier) throw new TaskRevokedError();
            return untilStopped(signal, process(job, signal));
          },
          options.onFinal,
        ),
      options.onFinal,
    );
  const worker = new Worker(type, attempt, {
    connection: options.connection,
    prefix: options.prefix,
    concurrency,
    lockDuration: options.lockDurationMs,
    stalledInterval: options.stalledIntervalMs,
    // A task whose worker died twice mid-run is more likely to kill the next one than to succeed.
    maxStalledCount: 2,
  });
  const log = options.log.child({ queue: type });
  worker.on('error', (error) => log.error({ err: error }, 'worker error'));
  worker.on('failed', (job, error) => log.warn({ taskId: job?.id, err: error.message }, 'attempt failed'));
  return worker;
}
