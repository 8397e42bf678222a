import type { JobsOptions } from 'bullmq';

export interface RetryAndRetention {
  attempts: number;
  /** First retry delay; each later one doubles. */
  backoffMs: number;
  retentionSeconds: number;
  retentionCount: number;
}

/** Retries with exponential backoff, and explicit retention: BullMQ keeps finished jobs forever unless told otherwise. */
export function defaultJobOptions(options: RetryAndRetention): JobsOptions {
  const keep = { age: options.retentionSeconds, count: options.retentionCount };
  return {
    attempts: options.attempts,
    backoff: { type: 'exponential', delay: options.backoffMs },
    removeOnComplete: keep,
    removeOnFail: keep,
  };
}

interface RetentionSettings {
  TASK_RETENTION_S: number;
  TASK_RETENTION_COUNT: number;
}

/** The task queues' retries (TASK_ATTEMPTS, TASK_BACKOFF_MS) and retention. */
export function taskRetries(config: RetentionSettings & { TASK_ATTEMPTS: number; TASK_BACKOFF_MS: number }): RetryAndRetention {
  return {
    attempts: config.TASK_ATTEMPTS,
    backoffMs: config.TASK_BACKOFF_MS,
    retentionSeconds: config.TASK_RETENTION_S,
    retentionCount: config.TASK_RETENTION_COUNT,
  };
}

/**
 * The notify queue's retries (NOTIFY_ATTEMPTS, NOTIFY_BACKOFF_MS); notify jobs are kept as long as
 * their task, so the task resource can show how they went.
 */
export function notifyRetries(config: RetentionSettings & { NOTIFY_ATTEMPTS: number; NOTIFY_BACKOFF_MS: number }): RetryAndRetention {
  return {
    attempts: config.NOTIFY_ATTEMPTS,
    backoffMs: config.NOTIFY_BACKOFF_MS,
    retentionSeconds: config.TASK_RETENTION_S,
    retentionCount: config.TASK_RETENTION_COUNT,
  };
}

/** Chunks of batch predictions: a chunk that fails (storage away) is tried again; retention as the tasks'. */
export function chunkRetries(config: RetentionSettings): RetryAndRetention {
  return { attempts: 3, backoffMs: 1_000, retentionSeconds: config.TASK_RETENTION_S, retentionCount: config.TASK_RETENTION_COUNT };
}
