import { UnrecoverableError, type Job } from 'bullmq';
import type { TaskDeadline } from '@trainyard/shared/jobs';
import type { NotifyTarget } from '@trainyard/shared/notify';
import { expiredUnstarted, statusEvent, taskTagOf, type TaskType } from '@trainyard/shared/tasks';
import type { AttemptOutcome } from '../metrics.js';
import type { OutcomeCheck, OutcomeWrite, TaskBookkeeping } from './bookkeeping.js';
import { AttemptStart } from './attempt-start.js';
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
  /**
   * A check the outcome must pass (its model version still exists, say), made with the cancel
   * check: with STARTED, or with the outcome in the same command. Ask for it as the work starts.
   */
  check(check: OutcomeCheck): void;
}

/** The job data the runtime reads; each task type's data has these beside its own. */
export type TaskJobData = NotifyTarget & { deadline?: TaskDeadline; tenant?: string; model?: string };

/**
 * How an attempt meets a cancel requested before it got here: the task ends REVOKED either way.
 * `before`: STARTED and the cancel check go out first and the work waits for them (a training).
 * `alongside`: the work starts at once and its result is dropped (a prediction, whose milliseconds
 * of work write nothing but its outcome); STARTED and the checks go out with the outcome, in the
 * command that records it, or after startedAfterMs when the work is still running.
 */
export type EarlyCancelCheck = 'before' | 'alongside';

/** How long an `alongside` attempt runs before its STARTED is written on its own: short ones write it with their outcome. */
const startedAfterMs = 10;

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
  const start = new AttemptStart(runtime.bookkeeping, taskId, tag, statusEvent('STARTED', attempt, workerName));
  try {
    const result = await runtime.control.run(taskId, job.data.deadline?.timeout_ms, async (signal) => {
      if (earlyCancel === 'before') await start.write();
      const working = work({ signal, withOutcome: (write) => writes.push(write), check: (check) => start.check(check) });
      // A notification reads the task's events before its outcome is written: they must hold STARTED.
      if (job.data.notify) start.writeUnlessWritten();
      const timer = start.writeSoon(startedAfterMs);
      try {
        const result = await untilStopped(signal, working);
        await start.passed();
        return result;
      } finally {
        clearTimeout(timer);
      }
    });
    await runtime.final.record(job, type, statusEvent('SUCCESS', attempt, workerName), result, writes, start.take());
    ended('success');
    return result;
  } catch (thrown) {
    // The outcome follows its STARTED, in the batch's order; a cancel or a failed check explains a failure best.
    start.writeUnlessWritten();
    const error = await start.passed().then(() => thrown, (failed: unknown) => failed);
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
