import { z } from 'zod';
import { UnrecoverableError, type Job } from 'bullmq';
import { AppError } from '@trainyard/shared/errors';
import { stoppedEvent, stoppedReasons } from '@trainyard/shared/task-control';
import type { TaskError, TaskEvent, TaskEventLog } from '@trainyard/shared/task-events';
import { workerName } from './identity.js';
import { TaskRevokedError } from './task-control.js';

/** Errors about the task's own input, and timeouts: another attempt cannot fix them. */
const permanentCodes = new Set(['invalid_data', 'invalid_request', 'not_found', 'timeout']);

export function taskErrorOf(error: unknown): TaskError {
  if (error instanceof AppError) return { code: error.code, message: error.message };
  if (error instanceof UnrecoverableError) return { code: 'invalid_request', message: error.message };
  return { code: 'internal', message: error instanceof Error ? error.message : String(error) };
}

/**
 * Told of a task's final status (SUCCESS, FAILURE, REVOKED) just before it is recorded and the
 * attempt ends: what it queues (notifications) is part of finishing the task, not an afterthought.
 */
export type OnFinalStatus = (job: Job, final: TaskEvent, result?: unknown) => Promise<void>;

const nothingToDo: OnFinalStatus = async () => {};

/**
 * Runs one attempt of a task and records it in the task's event log: STARTED, then SUCCESS, or
 * RETRY/FAILURE with the attempt's error, or REVOKED when a cancel stopped it. Errors about the
 * input and timeouts fail at once without retries.
 */
export async function runAttempt<R>(job: Job, events: TaskEventLog, work: () => Promise<R>, onFinal = nothingToDo): Promise<R> {
  const taskId = job.id!;
  const attempt = job.attemptsMade + 1;
  const at = () => new Date().toISOString();
  // Not awaited: the same connection keeps it ordered before the outcome, and the work need not wait.
  // A lost STARTED entry is harmless; the outcome below is what must be recorded.
  const started = events
    .append(taskId, { type: 'status', status: 'STARTED', attempt, at: at(), worker: workerName })
    .catch(() => {});
  try {
    const result = await work();
    await started;
    const succeeded: TaskEvent = { type: 'status', status: 'SUCCESS', attempt, at: at(), worker: workerName };
    await onFinal(job, succeeded, result);
    await events.append(taskId, succeeded);
    return result;
  } catch (error) {
    if (error instanceof TaskRevokedError) {
      await started;
      const revoked = stoppedEvent('REVOKED', attempt, workerName);
      await onFinal(job, revoked);
      await events.append(taskId, revoked);
      throw new UnrecoverableError(stoppedReasons.REVOKED);
    }
    const taskError = taskErrorOf(error);
    const permanent = permanentCodes.has(taskError.code) || error instanceof UnrecoverableError;
    const retrying = !permanent && attempt < (job.opts.attempts ?? 1);
    await started;
    const failed: TaskEvent = { type: 'status', status: retrying ? 'RETRY' : 'FAILURE', attempt, at: at(), worker: workerName, error: taskError };
    if (!retrying) await onFinal(job, failed);
    await events.append(taskId, failed);
    throw permanent && !(error instanceof UnrecoverableError) ? new UnrecoverableError(taskError.message) : error;
  }
}

/** Job data is validated again on this side: a payload that does not parse fails without retries. */
export function parseJobData<S extends z.ZodType>(schema: S, data: unknown): z.output<S> {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  throw new UnrecoverableError(`malformed job data: ${z.prettifyError(result.error)}`);
}
