import type { TaskEvent, TaskTag } from '@trainyard/shared/tasks';
import type { DeferredStart, OutcomeCheck, TaskBookkeeping } from './bookkeeping.js';

/**
 * An attempt's STARTED event and the checks its outcome must pass (the cancel flag, those the work
 * asks for): written on their own, at once or after a while, or taken along by the command that
 * records the outcome, whichever comes first. Once written, they are written once.
 */
export class AttemptStart {
  private readonly checks: OutcomeCheck[] = [];
  /** Settles with the checks' verdict once STARTED went out on its own; `taken` once the outcome took it. */
  private written: Promise<void> | 'taken' | undefined;

  constructor(
    private readonly bookkeeping: TaskBookkeeping,
    private readonly taskId: string,
    private readonly tag: TaskTag,
    private readonly event: TaskEvent,
  ) {}

  /** Writes STARTED with the checks; rejects with TaskRevokedError, or a failed check's error. */
  write(): Promise<void> {
    if (this.written === 'taken') return Promise.resolve();
    if (!this.written) {
      this.written = this.bookkeeping.started(this.taskId, this.tag, this.event, this.checks);
      this.written.catch(() => {});
    }
    return this.written;
  }

  /** Writes STARTED now, if nothing did yet; its verdict is for passed() to tell. */
  writeUnlessWritten(): void {
    void this.write();
  }

  /** Writes STARTED in `ms` unless something does first. */
  writeSoon(ms: number): NodeJS.Timeout | undefined {
    return this.written ? undefined : setTimeout(() => this.writeUnlessWritten(), ms);
  }

  /** A check the outcome must pass: with STARTED when that is still to come, else on its own. */
  check(check: OutcomeCheck): void {
    if (!this.written) return void this.checks.push(check);
    if (this.written === 'taken') throw new Error('a check must be asked for before the outcome');
    const checked = Promise.all([this.written, this.bookkeeping.verify(check)]).then(() => {});
    checked.catch(() => {});
    this.written = checked;
  }

  /** Resolves once what was written passed; throws what failed. Nothing to wait for while unwritten. */
  async passed(): Promise<void> {
    if (this.written && this.written !== 'taken') await this.written;
  }

  /** STARTED and the checks for the outcome's command to take along, when nothing wrote them yet. */
  take(): DeferredStart | undefined {
    if (this.written) return undefined;
    this.written = 'taken';
    return { event: this.event, checks: this.checks };
  }
}
