import { keysExistOp, type Logger, type RedisBatch, type ScriptOp } from '@trainyard/shared/platform';
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

/** A check an attempt's outcome must pass: an op of the task runtime's batch that answers 0 when it passes (the guard of RedisBatch.sendGuarded), and the error the attempt then ends with. */
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
    const plan = this.checkPlan(taskId, checks);
    await this.judge(taskId, plan, await Promise.all(plan.ops.map((op) => this.batch.write<number>(op))), checks);
  }

  /** Makes one check on its own: rejects with its error when it fails (answers anything but 0). */
  async verify(check: OutcomeCheck): Promise<void> {
    if ((await this.batch.write<number>(check.op)) > 0) throw check.error();
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
    const plan = deferred ? this.checkPlan(taskId, deferred.checks) : { ops: [], merged: false };
    if (deferred && (elsewhere.length || logOps.length > 1 || !plan.ops.every(together))) {
      // What cannot go in one command with the outcome is checked first.
      await this.started(taskId, tag, deferred.event, deferred.checks);
      return this.appendAfter(taskId, tag, event, writes);
    }
    await Promise.all(elsewhere.map((write) => write.batch.write(write.op).catch(logFailure(write))));
    if (!deferred) {
      for (const write of writes) if (!elsewhere.includes(write)) void this.batch.write(write.op).catch(logFailure(write));
      return this.append(taskId, tag, event);
    }
    const guarded = this.batch.sendGuarded(plan.ops, [...writes.map((write) => write.op), ...logOps]);
    writes.forEach((write, i) => guarded.ops[i]!.done.catch(logFailure(write)));
    this.appendSent(taskId, tag, event, guarded.ops.slice(writes.length));
    try {
      await this.judge(taskId, plan, await Promise.all(guarded.checks.map((check) => check.done)), deferred.checks);
    } catch (error) {
      // The outcome that follows (REVOKED, FAILURE) follows its STARTED: the skipped op's first
      // event, with the expiries that op was to refresh.
      void this.batch.write(firstEventOnly(logOps[0]!)).catch(() => {});
      throw error;
    }
  }

  /**
   * The cancel flag and `checks` as ops. When the first check tests keys' existence in the flag's
   * slot (a predict task's deleted-version check), the flag goes in its EXISTS: one command, not two.
   */
  private checkPlan(taskId: string, checks: readonly OutcomeCheck[]): CheckPlan {
    const flag = this.cancels.requestedOp(taskId);
    const [first, ...rest] = checks.map((check) => check.op);
    if (first?.kind !== keysExistOp || !first.keys.every((key) => this.batch.together(flag, { ...first, keys: [key] }))) {
      return { ops: [flag, ...checks.map((check) => check.op)], merged: false };
    }
    return { ops: [{ kind: keysExistOp, keys: [...flag.keys, ...first.keys], args: [] }, ...rest], merged: true };
  }

  /**
   * The verdict of a plan's ops: throws TaskRevokedError when the cancel flag is set, else the first
   * failed check's error. A merged op that failed says only that the flag or the first check did:
   * the flag is then read alone (nothing unsets either while the task runs).
   */
  private async judge(taskId: string, plan: CheckPlan, [flagged, ...failed]: number[], checks: readonly OutcomeCheck[]): Promise<void> {
    if (flagged! > 0) {
      if (!plan.merged || (await this.batch.write<number>(this.cancels.requestedOp(taskId))) > 0) throw new TaskRevokedError();
      throw checks[0]!.error();
    }
    const first = checks.slice(plan.merged ? 1 : 0).find((_, i) => failed[i]! > 0);
    if (first) throw first.error();
  }

  /** Logs the failure of an event's appends. */
  private appendSent<T extends { done: Promise<unknown> }>(taskId: string, tag: TaskTag, event: TaskEvent, appends: T[]): T[] {
    const logFailure = (error: unknown) => this.log.warn({ err: error, taskId, event: event.type === 'status' ? event.status : event.type }, 'task event not recorded');
    for (const { done } of appends) done.catch(logFailure);
    return appends;
  }
}

/** The ops that check the cancel flag and an outcome's checks: the first op holds the flag, and with `merged` the first check too. */
interface CheckPlan {
  ops: ScriptOp[];
  merged: boolean;
}
