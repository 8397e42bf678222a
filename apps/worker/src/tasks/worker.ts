import { Worker, type Job } from 'bullmq';
import { parseJob, type JobNameOf, type ParsedJob, type QueueData } from '@trainyard/shared/jobs';
import type { Logger, RedisClient } from '@trainyard/shared/platform';
import type { TaskType } from '@trainyard/shared/tasks';
import { noTracing, type Tracing } from '@trainyard/shared/tracing';
import { runAttempt, type Attempt, type AttemptRuntime, type EarlyCancelCheck } from './attempt.js';
import { SlottedWorker } from './slotted-worker.js';
import type { Slots } from './slots.js';

export interface TaskWorkerOptions {
  connection: RedisClient;
  prefix: string;
  concurrency: number;
  runtime: AttemptRuntime;
  log: Logger;
  lockDurationMs: number;
  stalledIntervalMs: number;
  /** Traces each attempt, inside BullMQ's process span (which continues the trace of the submit). */
  tracing?: Tracing;
  /** How the queue's attempts meet a cancel requested before they started ('before' unless said). */
  earlyCancel?: EarlyCancelCheck;
  /** Shared with the queue's workers of the other shards: together they hold no more jobs than its limit. */
  slots?: Slots;
}

/** What a task queue's processor gets: the job with its data parsed once, and the attempt (its AbortSignal, writes with its outcome). */
export type TaskProcessor<T extends TaskType, R> = (job: ParsedJob<T>, attempt: Attempt, raw: Job<QueueData<T>>) => Promise<R>;

/**
 * A BullMQ worker for one task queue: each job's data is parsed against the job catalog once, and
 * every attempt is recorded in the task's event log and runs under the task's controls (cancel,
 * timeout, expiry).
 */
export function createTaskWorker<T extends TaskType, R>(type: T, process: TaskProcessor<T, R>, options: TaskWorkerOptions): Worker<QueueData<T>, R, JobNameOf<T>> {
  const tracing = options.tracing ?? noTracing;
  const attempt = (job: Job<QueueData<T>, R, JobNameOf<T>>) =>
    tracing.span(`attempt ${type}`, { 'trainyard.task_id': job.id!, 'trainyard.attempt': job.attemptsStarted }, () =>
      runAttempt(job, type, options.runtime, async (attempt) => process(parseJob(type, job), attempt, job), options.earlyCancel),
    );
  const settings = {
    connection: options.connection,
    prefix: options.prefix,
    concurrency: options.concurrency,
    lockDuration: options.lockDurationMs,
    stalledInterval: options.stalledIntervalMs,
    // A task whose worker died twice mid-run is more likely to kill the next one than to succeed.
    maxStalledCount: 2,
    ...(tracing.bullmq ? { telemetry: tracing.bullmq } : {}),
  };
  const worker = options.slots
    ? new SlottedWorker<QueueData<T>, R, JobNameOf<T>>(type, attempt, settings, options.slots)
    : new Worker<QueueData<T>, R, JobNameOf<T>>(type, attempt, settings);
  const log = options.log.child({ queue: type });
  worker.on('error', (error) => log.error({ err: error }, 'worker error'));
  worker.on('failed', (job, error) => log.warn({ task_id: job?.id, err: error.message }, 'attempt failed'));
  return worker;
}
