import { UnrecoverableError, type Job } from 'bullmq';
import type { TaskDeadline } from '@trainyard/shared/jobs';
import type { NotifyTarget } from '@trainyard/shared/notify';
import { expiredUnstarted, statusEvent, type TaskEventLog, type TaskType } from '@trainyard/shared/tasks';
import type { AttemptOutcome } from '../metrics.js';
import { untilStopped, type TaskControl } from './control.js';
import { isRetryable, TaskRevokedError, taskErrorOf } from './errors.js';
import { workerName } from './identity.js';
import type { FinalStatusRecorder } from './record-final.js';

export interface AttemptRuntime {
  events: TaskEventLog;
  control: TaskControl;
  final: FinalStatusRecorder;
  /** Told how each attempt ended and how long it took (the metrics). */
  observe?: (type: TaskType, data: TaskJobData, outcome: AttemptOutcome, seconds: number) => void;
}

/** The job data the runtime reads; each task type's data has these beside its own. */
export type TaskJobData = NotifyTarget & { deadline?: TaskDeadline };

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
  work: (signal: AbortSignal) => Promise<R>,
): Promise<R> {
  const taskId = job.id!;
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
  // Not awaited: the same connection keeps it ordered before the outcome, and the work need not wait.
  // A lost STARTED entry is harmless; the outcome below is what must be recorded.
  const started = runtime.events.append(taskId, statusEvent('STARTED', attempt, workerName)).catch(() => {});
  try {
    const result = await runtime.control.run(taskId, job.data.deadline?.timeout_ms, async (signal, cancelledEarlier) => {
      if (await cancelledEarlier) throw new TaskRevokedError();
      return untilStopped(signal, work(signal));
    });
    await started;
    await runtime.final.record(job, type, statusEvent('SUCCESS', attempt, workerName), result);
    ended('success');
    return result;
  } catch (error) {
    await started;
    if (error instanceof TaskRevokedError) {
      await runtime.final.record(job, type, statusEvent('REVOKED', attempt, workerName));
      ended('revoked');
      throw new UnrecoverableError(`revoked: ${error.message}`);
    }
    const taskError = taskErrorOf(error);
    const retrying = isRetryable(error) && attempt < (job.opts.attempts ?? 1);
    if (retrying) {
      await runtime.events.append(taskId, statusEvent('RETRY', attempt, workerName, taskError));
      ended('retry');
      throw error;
    }
    await runtime.final.record(job, type, statusEvent('FAILURE', attempt, workerName, taskError));
    ended('failure');
    throw error instanceof UnrecoverableError ? error : new UnrecoverableError(taskError.message);
  }
}
