import type { NotifyTarget, TaskNotifications } from '@trainyard/shared/notify';
import type { StatusEvent, TaskJob, TaskType } from '@trainyard/shared/tasks';
import type { OutcomeWrite, TaskBookkeeping } from './bookkeeping.js';

/**
 * Records a task's final status (SUCCESS, FAILURE, REVOKED, EXPIRED), the one way every path does:
 * its notifications are queued first, as part of finishing (they are idempotent, so a crash in
 * between only finishes the task again), then the writes that go with the outcome and the status,
 * batched with other tasks'. The attempt ends (BullMQ stores the outcome) after this returns.
 */
export class FinalStatusRecorder {
  constructor(
    private readonly bookkeeping: TaskBookkeeping,
    /** Absent in a worker that queues no notifications (tests). */
    private readonly notifications?: TaskNotifications,
  ) {}

  async record(job: TaskJob & { data: NotifyTarget }, type: TaskType, final: StatusEvent, result?: unknown, writes: readonly OutcomeWrite[] = []): Promise<void> {
    await this.notifications?.taskFinished(job, type, final, result);
    await this.bookkeeping.appendAfter(job.id!, final, writes);
  }
}
