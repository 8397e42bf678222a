import type { Job } from 'bullmq';
import type { Logger } from '@trainyard/shared/platform';
import { taskTagOf, type TaskEventLog, type TaskProgress } from '@trainyard/shared/tasks';

/** Progress goes to Redis at most this often, however fast it moves. */
const intervalMs = 250;

/**
 * Reports a running task's progress where readers find it (the job's progress, and the task's
 * event log for event streams) at most once per interval: the newest value wins, and flush()
 * sends what is still held back.
 */
export function progressReporter(job: Job<{ tenant?: string; model?: string }>, events: TaskEventLog, log: Logger) {
  const taskId = job.id!;
  const tag = taskTagOf(taskId, job.data);
  return throttled(intervalMs, (progress: TaskProgress) =>
    Promise.all([job.updateProgress(progress), events.append(taskId, { type: 'progress', progress, at: new Date().toISOString() }, tag)]).catch((error: unknown) =>
      log.warn({ err: error, taskId }, 'progress not recorded'),
    ),
  );
}

function throttled<T>(intervalMs: number, send: (value: T) => Promise<unknown>) {
  let last = 0;
  let pending: T | undefined;
  let inFlight: Promise<unknown> = Promise.resolve();
  const report = (value: T) => {
    pending = value;
    if (Date.now() - last < intervalMs) return;
    last = Date.now();
    pending = undefined;
    inFlight = send(value);
  };
  report.flush = async () => {
    await inFlight;
    if (pending !== undefined) await send(pending);
  };
  return report;
}
