import { Worker, type Telemetry } from 'bullmq';
import { parseJob, type JobNameOf, type ParsedJob, type QueueData } from '@trainyard/shared/jobs';
import type { Logger, RedisClient } from '@trainyard/shared/platform';

export interface NotifyWorkerOptions {
  connection: RedisClient;
  prefix: string;
  concurrency: number;
  log: Logger;
  /** BullMQ's telemetry, when tracing: a delivery's span continues its task's trace. */
  telemetry?: Telemetry;
  /** Told how each delivery attempt went (the metrics). */
  onDelivery?: (channel: 'email' | 'webhook', outcome: 'delivered' | 'retry' | 'failed') => void;
}

/**
 * The notify queue's worker. Deliveries are I/O-bound, so many run at once; attempts and backoff
 * are the jobs' own (NOTIFY_ATTEMPTS, NOTIFY_BACKOFF_MS), set where they are queued.
 */
export function createNotifyWorker(process: (job: ParsedJob<'notify'>) => Promise<unknown>, options: NotifyWorkerOptions): Worker<QueueData<'notify'>, unknown, JobNameOf<'notify'>> {
  const worker = new Worker<QueueData<'notify'>, unknown, JobNameOf<'notify'>>('notify', (job) => process(parseJob('notify', job)), {
    connection: options.connection,
    prefix: options.prefix,
    concurrency: options.concurrency,
    ...(options.telemetry ? { telemetry: options.telemetry } : {}),
  });
  const log = options.log.child({ queue: 'notify' });
  worker.on('error', (error) => log.error({ err: error }, 'worker error'));
  const channel = (name: string) => (name === 'email.send' ? 'email' : 'webhook');
  worker.on('completed', (job) => {
    options.onDelivery?.(channel(job.name), 'delivered');
    log.info({ task_id: job.data.task.task_id, jobId: job.id, attempts: job.attemptsStarted }, 'notification delivered');
  });
  worker.on('failed', (job, error) => {
    // BullMQ retries unless the attempts are spent or the error was unrecoverable (then the job is finished).
    if (job) options.onDelivery?.(channel(job.name), job.finishedOn ? 'failed' : 'retry');
    log.warn({ task_id: job?.data.task.task_id, jobId: job?.id, attempt: job?.attemptsMade, err: error.message }, 'notification attempt failed');
  });
  return worker;
}
