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
