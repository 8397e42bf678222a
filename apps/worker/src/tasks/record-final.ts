import type { TaskBacklog } from '@trainyard/shared/jobs';
import type { NotifyTarget, TaskNotifications } from '@trainyard/shared/notify';
import { tenantOf } from '@trainyard/shared/platform';
import { taskTagOf, type StatusEvent, type TaskJob, type TaskType } from '@trainyard/shared/tasks';
import type { OutcomeWrite, TaskBookkeeping } from './bookkeeping.js';

/**
 * Records a task's final status (SUCCESS, FAILURE, REVOKED, EXPIRED), the one way every path does:
 * its notifications are queued first, as part of finishing (they are idempotent, so a crash in
 * between only finishes the task again), then the writes that go with the outcome, the task leaving
 * its tenant's backlog and the status, batched with other tasks'. The attempt ends (BullMQ stores
 * the outcome) after this returns.
 */
export class FinalStatusRecorder {
  constructor(
    private readonly bookkeeping: TaskBookkeeping,
    private readonly backlog: TaskBacklog,
    /** Absent in a worker that queues no notifications (tests). */
    private readonly notifications?: TaskNotifications,
  ) {}

  async record(
    job: TaskJob & { data: NotifyTarget & { tenant?: string; model?: string } },
    type: TaskType,
    final: StatusEvent,
    result?: unknown,
    writes: readonly OutcomeWrite[] = [],
  ): Promise<void> {
    await this.notifications?.taskFinished(job, type, final, result);
    const leave: OutcomeWrite = {
      batch: this.bookkeeping.batch,
      op: this.backlog.finishedOp(tenantOf(job.data), type, job.id!),
      label: "task not taken out of its tenant's backlog",
    };
    await this.bookkeeping.appendAfter(job.id!, taskTagOf(job.id!, job.data), final, [...writes, leave]);
  }
}
