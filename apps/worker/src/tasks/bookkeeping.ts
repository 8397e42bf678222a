import type { Logger, RedisBatch, ScriptOp } from '@trainyard/shared/platform';
import { firstEventOnly, type TaskCancellation, type TaskEvent, type TaskEventLog, type TaskTag } from '@trainyard/shared/tasks';
import { TaskRevokedError } from './errors.js';

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

/** A check an attempt's outcome must pass: an op of the task runtime's batch that answers 1 when it fails, and the error the attempt then ends with. */
export interface OutcomeCheck {
  op: ScriptOp;
  error: () => Error;
}

/** An attempt's STARTED that nothing wrote yet, and the checks its outcome must pass: they go with the outcome. */
export interface DeferredStart {
  event: TaskEvent;
  checks: readonly OutcomeCheck[];
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

  /**
   * Appends the STARTED event and checks the cancel flag and `checks`: rejects with TaskRevokedError
   * when a cancel was requested before, else with the error of the first check that failed.
   */
  async started(taskId: string, tag: TaskTag, event: TaskEvent, checks: readonly OutcomeCheck[] = []): Promise<void> {
    // A lost STARTED entry is harmless: the outcome is what must be recorded.
    for (const op of this.events.appendOps(taskId, event, tag)) void this.batch.write(op).catch(() => {});
    const verdicts = [this.batch.write<number>(this.cancels.requestedOp(taskId)), ...checks.map((check) => this.batch.write<number>(check.op))];
    judge(await Promise.all(verdicts), checks);
  }

  /** Makes one check on its own: rejects with its error when it fails. */
  async verify(check: OutcomeCheck): Promise<void> {
    if ((await this.batch.write<number>(check.op)) === 1) throw check.error();
  }

  /**
   * Appends an event that BullMQ's next command for the task (completing, failing or retrying its
   * job) must follow: resolves once the event is sent, ahead of that command on the same connection,
   * without waiting for its reply. A failed append is logged; BullMQ's own state of the job stays
   * what readers go by.
   */
  async append(taskId: string, tag: TaskTag, event: TaskEvent): Promise<void> {
    const appends = this.appendSent(taskId, tag, event, this.events.appendOps(taskId, event, tag).map((op) => this.batch.send(op)));
    await appends[0]!.sent;
  }

  /**
   * Appends a final event after the writes that go with it: those bound elsewhere first, the rest in
   * the same batch. A deferred STARTED goes in one command with them, and the cancel flag and the
   * checks guard all of it: rejects as `started` does, and then only STARTED was written.
   */
  async appendAfter(taskId: string, tag: TaskTag, event: TaskEvent, writes: readonly OutcomeWrite[], deferred?: DeferredStart): Promise<void> {
    const logFailure = (write: OutcomeWrite) => (error: unknown) => this.log.warn({ err: error, taskId }, write.label);
    const logOps = this.events.appendOps(taskId, deferred ? [deferred.event, event] : event, tag);
    // In this batch but another slot of a cluster (the caches' keys, beside a shard's task) is elsewhere too.
    const together = (op: ScriptOp) => this.batch.together(op, logOps[0]!);
    const elsewhere = writes.filter((write) => write.batch !== this.batch || !together(write.op));
    const checks = deferred ? [this.cancels.requestedOp(taskId), ...deferred.checks.map((check) => check.op)] : [];
    if (deferred && (elsewhere.length || logOps.length > 1 || !checks.every(together))) {
      // What cannot go in one command with the outcome is checked first.
      await this.started(taskId, tag, deferred.event, deferred.checks);
      return this.appendAfter(taskId, tag, event, writes);
    }
    await Promise.all(elsewhere.map((write) => write.batch.write(write.op).catch(logFailure(write))));
    if (!deferred) {
      for (const write of writes) if (!elsewhere.includes(write)) void this.batch.write(write.op).catch(logFailure(write));
      return this.append(taskId, tag, event);
    }
    const guarded = this.batch.sendGuarded(checks, [...writes.map((write) => write.op), ...logOps]);
    writes.forEach((write, i) => guarded.ops[i]!.done.catch(logFailure(write)));
    this.appendSent(taskId, tag, event, guarded.ops.slice(writes.length));
    try {
      judge(await Promise.all(guarded.checks.map((check) => check.done)), deferred.checks);
    } catch (error) {
      // The outcome that follows (REVOKED, FAILURE) follows its STARTED: the skipped op's first
      // event, with the expiries that op was to refresh.
      void this.batch.write(firstEventOnly(logOps[0]!)).catch(() => {});
      throw error;
    }
  }

  /** Logs the failure of an event's appends. */
  private appendSent<T extends { done: Promise<unknown> }>(taskId: string, tag: TaskTag, event: TaskEvent, appends: T[]): T[] {
    const logFailure = (error: unknown) => this.log.warn({ err: error, taskId, event: event.type === 'status' ? event.status : event.type }, 'task event not recorded');
    for (const { done } of appends) done.catch(logFailure);
    return appends;
  }
}

/** The verdict of the cancel flag then `checks`: throws TaskRevokedError, or the first failed check's error. */
function judge([cancelled, ...failed]: number[], checks: readonly OutcomeCheck[]): void {
  if (cancelled === 1) throw new TaskRevokedError();
  const first = checks.find((_, i) => failed[i] === 1);
  if (first) throw first.error();
}
