import { UnrecoverableError, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { deadlineOf } from '@trainyard/shared/deadlines';
import { AppError } from '@trainyard/shared/errors';
import type { Logger } from '@trainyard/shared/logger';
import { expiredUnstarted, stoppedEvent, stoppedReasons, type TaskCancellation } from '@trainyard/shared/task-control';
import type { TaskEventLog } from '@trainyard/shared/task-events';
import { workerName } from './identity.js';
import type { OnFinalStatus } from './task-lifecycle.js';

/** The abort reason of a task cancelled while it ran; runAttempt records it as REVOKED. */
export class TaskRevokedError extends Error {
  constructor() {
    super(stoppedReasons.REVOKED);
    this.name = 'TaskRevokedError';
  }
}

/** The abort reason of an attempt that outlived its timeout: a permanent failure with code `timeout`. */
export class TaskTimeoutError extends AppError {
  constructor(timeoutMs: number) {
    super('timeout', `the task ran longer than its timeout of ${timeoutMs / 1000} s`);
  }
}

/**
 * Stops this process's tasks when asked to: listens on the cancel channel for any task it runs,
 * refuses a task that expired or was cancelled before it got here, and ends an attempt at its
 * timeout. Each attempt gets an AbortSignal whose reason is a TaskRevokedError or TaskTimeoutError.
 */
export class TaskControl {
  private readonly running = new Map<string, AbortController>();

  private constructor(
    private readonly cancels: TaskCancellation,
    private readonly events: TaskEventLog,
    private readonly subscriber: Redis,
    private readonly log: Logger,
  ) {}

  /** Subscribes on a connection of its own (a subscribed connection can run nothing else). */
  static async start(connection: Redis, cancels: TaskCancellation, events: TaskEventLog, log: Logger): Promise<TaskControl> {
    const subscriber = connection.duplicate();
    subscriber.on('error', () => {});
    const control = new TaskControl(cancels, events, subscriber, log);
    subscriber.on('message', (_channel: string, taskId: string) => control.revoke(taskId));
    // Messages published while the connection was down are lost; the flags are not.
    subscriber.on('ready', () => void control.recheckFlags());
    await subscriber.subscribe(cancels.channel);
    return control;
  }

  /**
   * Runs one attempt under the task's controls: expired, it never starts; otherwise it gets a
   * signal that aborts on a cancel request or at the timeout, and `cancelledEarlier`, which the
   * attempt awaits before its work: a cancel requested before the task got here wins. The check
   * goes out with the attempt's first write instead of a round trip ahead of it.
   */
  async run<R>(
    job: Job,
    attempt: (signal: AbortSignal, cancelledEarlier: Promise<boolean>) => Promise<R>,
    onFinal?: OnFinalStatus,
  ): Promise<R> {
    const taskId = job.id!;
    // BullMQ counted this pick-up as a start already.
    if (expiredUnstarted(job.data, job.attemptsStarted - 1)) await this.refuse(job, 'EXPIRED', onFinal);
    const controller = new AbortController();
    this.running.set(taskId, controller);
    const { timeout_ms } = deadlineOf(job.data);
    const timer = timeout_ms ? setTimeout(() => controller.abort(new TaskTimeoutError(timeout_ms)), timeout_ms) : undefined;
    try {
      // Registered first, checked second: a cancel published in between is not missed.
      return await attempt(controller.signal, this.cancels.isRequested(taskId));
    } finally {
      clearTimeout(timer);
      this.running.delete(taskId);
    }
  }

  async close(): Promise<void> {
    this.subscriber.disconnect();
  }

  private revoke(taskId: string): void {
    const controller = this.running.get(taskId);
    if (!controller || controller.signal.aborted) return;
    this.log.info({ taskId }, 'cancel requested; stopping the task');
    controller.abort(new TaskRevokedError());
  }

  private async recheckFlags(): Promise<void> {
    try {
      for (const taskId of await this.cancels.requestedAmong([...this.running.keys()])) this.revoke(taskId);
    } catch (error) {
      this.log.warn({ err: error }, 'could not recheck cancel requests');
    }
  }

  /** Records why the task never started and fails its job for good with the recognizable reason. */
  private async refuse(job: Job, status: 'REVOKED' | 'EXPIRED', onFinal?: OnFinalStatus): Promise<never> {
    const event = stoppedEvent(status, job.attemptsMade + 1, workerName);
    await onFinal?.(job, event);
    await this.events.append(job.id!, event);
    throw new UnrecoverableError(stoppedReasons[status]);
  }
}

/**
 * The work's outcome as the task's: once the signal aborted, whatever the work throws reads as the
 * abort reason. A timeout ends the attempt at once, whatever the work still does; a cancel leaves
 * the work to stop itself (a training does at its next batch, a prediction finishes).
 */
export function untilStopped<R>(signal: AbortSignal, work: Promise<R>): Promise<R> {
  const outcome = work.catch((error: unknown) => {
    throw signal.aborted ? signal.reason : error;
  });
  const timedOut = new Promise<never>((_, reject) => {
    const onAbort = () => signal.reason instanceof TaskTimeoutError && reject(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([outcome, timedOut]);
}
