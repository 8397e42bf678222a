import type { Logger, RedisBatch, ScriptOp } from '@trainyard/shared/platform';
import type { TaskCancellation, TaskEvent, TaskEventLog } from '@trainyard/shared/tasks';

/**
 * A write that goes with a task's SUCCESS (its answers cached, say): made before the final status
 * shows, in the same command when it goes to the same Redis. Its failure is logged with `label`
 * and costs speed, never the task.
 */
export interface OutcomeWrite {
  batch: RedisBatch;
  op: ScriptOp;
  label: string;
}

/**
 * The task runtime's writes to the queue Redis, through one RedisBatch: the events and cancel
 * checks of every task a worker handles within one turn of the event loop go out as one command.
 */
export class TaskBookkeeping {
  constructor(
    readonly batch: RedisBatch,
    private readonly events: TaskEventLog,
    private readonly cancels: TaskCancellation,
    private readonly log: Logger,
  ) {}

  /** Appends the STARTED event and answers whether a cancel was requested before it. */
  async started(taskId: string, event: TaskEvent): Promise<boolean> {
    // A lost STARTED entry is harmless: the outcome is what must be recorded.
    void this.batch.write(this.events.appendOp(taskId, event)).catch(() => {});
    return (await this.batch.write<number>(this.cancels.requestedOp(taskId))) === 1;
  }

  async append(taskId: string, event: TaskEvent): Promise<void> {
    await this.batch.write(this.events.appendOp(taskId, event));
  }

  /** Appends a final event after the writes that go with it: those bound elsewhere first, the rest in the same batch. */
  async appendAfter(taskId: string, event: TaskEvent, writes: readonly OutcomeWrite[]): Promise<void> {
    const logFailure = (write: OutcomeWrite) => (error: unknown) => this.log.warn({ err: error, taskId }, write.label);
    const elsewhere = writes.filter((write) => write.batch !== this.batch);
    await Promise.all(elsewhere.map((write) => write.batch.write(write.op).catch(logFailure(write))));
    for (const write of writes) if (write.batch === this.batch) void this.batch.write(write.op).catch(logFailure(write));
    await this.append(taskId, event);
  }
}
