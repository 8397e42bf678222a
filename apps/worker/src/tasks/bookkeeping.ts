import type { Logger, RedisBatch, ScriptOp } from '@trainyard/shared/platform';
import type { TaskCancellation, TaskEvent, TaskEventLog, TaskTag } from '@trainyard/shared/tasks';

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
  async started(taskId: string, tag: TaskTag, event: TaskEvent): Promise<boolean> {
    // A lost STARTED entry is harmless: the outcome is what must be recorded.
    for (const op of this.events.appendOps(taskId, event, tag)) void this.batch.write(op).catch(() => {});
    return (await this.batch.write<number>(this.cancels.requestedOp(taskId))) === 1;
  }

  /**
   * Appends an event that BullMQ's next command for the task (completing, failing or retrying its
   * job) must follow: resolves once the event is sent, ahead of that command on the same connection,
   * without waiting for its reply. A failed append is logged; BullMQ's own state of the job stays
   * what readers go by.
   */
  async append(taskId: string, tag: TaskTag, event: TaskEvent): Promise<void> {
    // The task log's op first: it shares the job's slot; a feed entry in another slot follows it.
    const appends = this.events.appendOps(taskId, event, tag).map((op) => this.batch.send(op));
    const logFailure = (error: unknown) => this.log.warn({ err: error, taskId, event: event.type === 'status' ? event.status : event.type }, 'task event not recorded');
    for (const { done } of appends) done.catch(logFailure);
    await appends[0]!.sent;
  }

  /** Appends a final event after the writes that go with it: those bound elsewhere first, the rest in the same batch. */
  async appendAfter(taskId: string, tag: TaskTag, event: TaskEvent, writes: readonly OutcomeWrite[]): Promise<void> {
    const logFailure = (write: OutcomeWrite) => (error: unknown) => this.log.warn({ err: error, taskId }, write.label);
    // In this batch but another slot of a cluster (the caches' keys, beside a shard's task) is elsewhere too.
    const [logOp] = this.events.appendOps(taskId, event, tag);
    const together = (write: OutcomeWrite) => write.batch === this.batch && this.batch.together(write.op, logOp!);
    const elsewhere = writes.filter((write) => !together(write));
    await Promise.all(elsewhere.map((write) => write.batch.write(write.op).catch(logFailure(write))));
    for (const write of writes) if (together(write)) void this.batch.write(write.op).catch(logFailure(write));
    await this.append(taskId, tag, event);
  }
}
