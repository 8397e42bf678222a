import type { Logger, RedisClient } from '@trainyard/shared/platform';
import type { TaskCancellation } from '@trainyard/shared/tasks';
import { TaskRevokedError, TaskTimeoutError } from './errors.js';

/**
 * Stops this process's tasks when asked to: listens on the cancel channel for any task it runs and
 * ends an attempt at its timeout. Each attempt gets an AbortSignal whose reason is a
 * TaskRevokedError or a TaskTimeoutError.
 */
export class TaskControl {
  private readonly running = new Map<string, AbortController>();

  private constructor(
    private readonly cancels: TaskCancellation,
    private readonly subscriber: RedisClient,
    private readonly log: Logger,
  ) {}

  /** Subscribes on a connection of its own (a subscribed connection can run nothing else). */
  static async start(subscriber: RedisClient, cancels: TaskCancellation, log: Logger): Promise<TaskControl> {
    const control = new TaskControl(cancels, subscriber, log);
    subscriber.on('message', (_channel: string, taskId: string) => control.revoke(taskId));
    // Messages published while the connection was down are lost; the flags are not.
    subscriber.on('ready', () => void control.recheckFlags());
    await subscriber.subscribe(cancels.channel);
    return control;
  }

  /**
   * Runs one attempt under the task's controls: it gets a signal that aborts on a cancel request or
   * at the timeout. The attempt checks the cancel flag itself (with its first write): registered
   * here first, checked there second, a cancel published in between is not missed.
   */
  async run<R>(taskId: string, timeoutMs: number | undefined, attempt: (signal: AbortSignal) => Promise<R>): Promise<R> {
    const controller = new AbortController();
    this.running.set(taskId, controller);
    const timer = timeoutMs ? setTimeout(() => controller.abort(new TaskTimeoutError(timeoutMs)), timeoutMs) : undefined;
    try {
      return await attempt(controller.signal);
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
    this.log.info({ task_id: taskId }, 'cancel requested; stopping the task');
    controller.abort(new TaskRevokedError());
  }

  private async recheckFlags(): Promise<void> {
    try {
      for (const taskId of await this.cancels.requestedAmong([...this.running.keys()])) this.revoke(taskId);
    } catch (error) {
      this.log.warn({ err: error }, 'could not recheck cancel requests');
    }
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
