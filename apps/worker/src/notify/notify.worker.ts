import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '@trainyard/shared/logger';
import { notifyQueueName } from '@trainyard/shared/notify-queue';

export interface NotifyWorkerOptions {
  connection: Redis;
  prefix: string;
  concurrency: number;
  log: Logger;
}

/**
 * The notify queue's worker. Deliveries are I/O-bound, so many run at once; attempts and backoff
 * are the jobs' own (NOTIFY_ATTEMPTS, NOTIFY_BACKOFF_MS), set where they are queued.
 */
export function createNotifyWorker(process: (job: Job) => Promise<unknown>, options: NotifyWorkerOptions): Worker {
  const worker = new Worker(notifyQueueName, process, {
    connection: options.connection,
    prefix: options.prefix,
    concurrency: options.concurrency,
  });
  const log = options.log.child({ queue: notifyQueueName });
  worker.on('error', (error) => log.error({ err: error }, 'worker error'));
  worker.on('completed', (job) => log.info({ jobId: job.id, attempts: job.attemptsStarted }, 'notification delivered'));
  worker.on('failed', (job, error) => log.warn({ jobId: job?.id, attempt: job?.attemptsMade, err: error.message }, 'notification attempt failed'));
  return worker;
}
