import type { TaskBacklog, TrainJobData } from '@trainyard/shared/jobs';
import type { NotifyTarget, TaskNotifications } from '@trainyard/shared/notify';
import { tenantOf } from '@trainyard/shared/platform';
import { taskTagOf, type StatusEvent, type TaskJob, type TaskType } from '@trainyard/shared/tasks';
import type { DeferredStart, OutcomeWrite, TaskBookkeeping } from './bookkeeping.js';

/**
 * Records a task's final status (SUCCESS, FAILURE, REVOKED, EXPIRED), the one way every path does:
 * its notifications are queued first, as part of finishing (they are idempotent, so a crash in
 * between only finishes the task again), then the writes that go with the outcome, the task leaving
 * its tenant's backlog and the status, batched with other tasks'. The attempt ends (BullMQ stores
 * the outcome) after this returns. A training's checkpoint is deleted first, so it is gone once the
 * final status shows. A STARTED that nothing wrote yet goes first, and the checks it carries guard
 * the rest (see TaskBookkeeping.appendAfter): a failed check rejects, with only STARTED recorded.
 */
export class FinalStatusRecorder {
  constructor(
    private readonly bookkeeping: TaskBookkeeping,
    private readonly backlog: TaskBacklog,
    /** Absent in a worker that queues no notifications (tests). */
    private readonly notifications?: TaskNotifications,
    /** Deletes a finished training's checkpoint; absent in a worker that trains nothing. */
    private readonly discardCheckpoint?: (taskId: string, job: TrainJobData) => Promise<void>,
  ) {}

  async record(
    job: TaskJob & { data: NotifyTarget & { tenant?: string; model?: string } },
    type: TaskType,
    final: StatusEvent,
    result?: unknown,
    writes: readonly OutcomeWrite[] = [],
    deferred?: DeferredStart,
  ): Promise<void> {
    if (type === 'train') await this.discardCheckpoint?.(job.id!, job.data as TrainJobData);
    await this.notifications?.taskFinished(job, type, final, result);
    const leave: OutcomeWrite = {
      batch: this.bookkeeping.batch,
      op: this.backlog.finishedOp(tenantOf(job.data), type, job.id!),
      label: "task not taken out of its tenant's backlog",
    };
    await this.bookkeeping.appendAfter(job.id!, taskTagOf(job.id!, job.data), final, [...writes, leave], deferred);
  }
}
