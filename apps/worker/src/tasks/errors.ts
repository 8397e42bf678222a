import { UnrecoverableError } from 'bullmq';
import { AppError } from '@trainyard/shared/platform';
import type { TaskError } from '@trainyard/shared/tasks';

/** The abort reason of a task cancelled while it ran; runAttempt records it as REVOKED. */
export class TaskRevokedError extends Error {
  constructor() {
    super('cancelled on request');
    this.name = 'TaskRevokedError';
  }
}

/** The abort reason of an attempt that outlived its timeout: a permanent failure with code `timeout`. */
export class TaskTimeoutError extends AppError {
  constructor(timeoutMs: number) {
    super('timeout', `the task ran longer than its timeout of ${timeoutMs / 1000} s`);
  }
}

/** How an attempt's error reads in the task's log and resource. */
export function taskErrorOf(error: unknown): TaskError {
  if (error instanceof AppError) return { code: error.code, message: error.message };
  // BullMQ's own verdict on a job it cannot run (malformed data, an unknown job name).
  if (error instanceof UnrecoverableError) return { code: 'invalid_request', message: error.message };
  return { code: 'internal', message: error instanceof Error ? error.message : String(error) };
}

/** Whether another attempt may cure an error: the error catalog's word for our own codes. */
export function isRetryable(error: unknown): boolean {
  if (error instanceof UnrecoverableError) return false;
  return error instanceof AppError ? error.retryable : true;
}
