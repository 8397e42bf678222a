import { UnrecoverableError, type Job } from 'bullmq';
import type { TaskDeadline } from '@trainyard/shared/jobs';
import type { NotifyTarget } from '@trainyard/shared/notify';
import { expiredUnstarted, statusEvent, taskTagOf, type TaskType } from '@trainyard/shared/tasks';
import type { AttemptOutcome } from '../metrics.js';
import type { OutcomeWrite, TaskBookkeeping } from './bookkeeping.js';
import { untilStopped, type TaskControl } from './control.js';
import { isRetryable, TaskRevokedError, taskErrorOf } from './errors.js';
import { workerName } from './identity.js';
import type { FinalStatusRecorder } from './record-final.js';

export interface AttemptRuntime {
  bookkeeping: TaskBookkeeping;
  control: TaskControl;
  final: FinalStatusRecorder;
  /** Told how each attempt ended and how long it took (the metrics). */
  observe?: (type: TaskType, data: TaskJobData, outcome: AttemptOutcome, seconds: number) => void;
}

/** What an attempt's work gets. */
export interface Attempt {
  /** Aborts on a cancel request (TaskRevokedError) or at the timeout (TaskTimeoutError). */
  signal: AbortSignal;
  /** A write to make with the task's SUCCESS, before it shows. */
  withOutcome(write: OutcomeWrite): void;
}

/** The job data the runtime reads; each task type's data has these beside its own. */
export type TaskJobData = NotifyTarget & { deadline?: TaskDeadline; tenant?: string; model?: string };

/**
 * How an attempt meets a cancel requested before it got here (the flag, read with STARTED): the
 * task ends REVOKED either way. `before`: the work waits for the check and never starts (a
 * training). `alongside`: the work starts at once and its result is dropped (a prediction, whose
 * milliseconds of work write nothing but its outcome): no round trip ahead of it.
 */
export type EarlyCancelCheck = 'before' | 'alongside';

/**
 * Runs one attempt of a task and records it in the task's event log: STARTED, then SUCCESS, or
 * RETRY/FAILURE with the attempt's error, or REVOKED when a cancel stopped it. A task past its
 * expiry never starts: it is recorded EXPIRED. Errors that another attempt cannot cure (the error
 * catalog says which) fail at once without retries.
 */
export async function runAttempt<R>(
  job: Job<TaskJobData>,
  type: TaskType,
  runtime: AttemptRuntime,
  work: (attempt: Attempt) => Promise<R>,
  earlyCancel: EarlyCancelCheck = 'before',
): Promise<R> {
  const taskId = job.id!;
  const tag = taskTagOf(taskId, job.data);
  // Every pick-up counts, a run after a worker died mid-task too (BullMQ counted this one already),
  // so the history never lists one attempt twice.
  const attempt = job.attemptsStarted;
  const startedAt = performance.now();
  const ended = (outcome: AttemptOutcome) => runtime.observe?.(type, job.data, outcome, (performance.now() - startedAt) / 1000);
  if (expiredUnstarted(job.data, job.attemptsStarted - 1)) {
    await runtime.final.record(job, type, statusEvent('EXPIRED', attempt, workerName));
    ended('expired');
    throw new UnrecoverableError('expired: not started before its expiry');
  }
  const writes: OutcomeWrite[] = [];
  try {
    const result = await runtime.control.run(taskId, job.data.deadline?.timeout_ms, async (signal) => {
      // STARTED and the cancel check go out together; a cancel requested before the task got here wins.
      const cancelledEarlier = runtime.bookkeeping.started(taskId, tag, statusEvent('STARTED', attempt, workerName));
      cancelledEarlier.catch(() => {});
      if (earlyCancel === 'before' && (await cancelledEarlier)) throw new TaskRevokedError();
      const result = await untilStopped(signal, work({ signal, withOutcome: (write) => writes.push(write) }));
      if (await cancelledEarlier) throw new TaskRevokedError();
      return result;
    });
    await runtime.final.record(job, type, statusEvent('SUCCESS', attempt, workerName), result, writes);
    ended('success');
    return result;
  } catch (error) {
    if (error instanceof TaskRevokedError) {
      await runtime.final.record(job, type, statusEvent('REVOKED', attempt, workerName));
      ended('revoked');
      throw new UnrecoverableError(`revoked: ${error.message}`);
    }
    const taskError = taskErrorOf(error);
    const retrying = isRetryable(error) && attempt < (job.opts.attempts ?? 1);
    if (retrying) {
      await runtime.bookkeeping.append(taskId, tag, statusEvent('RETRY', attempt, workerName, taskError));
      ended('retry');
      throw error;
    }
    await runtime.final.record(job, type, statusEvent('FAILURE', attempt, workerName, taskError));
    ended('failure');
    throw error instanceof UnrecoverableError ? error : new UnrecoverableError(taskError.message);
  }
}
