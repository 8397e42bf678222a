import type { TaskBacklog } from '@trainyard/shared/jobs';
import type { NotifyTarget, TaskNotifications } from '@trainyard/shared/notify';
import { tenantOf } from '@trainyard/shared/platform';
import type { StatusEvent, TaskEventLog, TaskJob, TaskType } from '@trainyard/shared/tasks';

/**
 * Records a task's final status (SUCCESS, FAILURE, REVOKED, EXPIRED), the one way every path does:
 * its notifications are queued first, as part of finishing (they are idempotent, so a crash in
 * between only finishes the task again), then the status goes to the task's log, and the task
 * leaves its tenant's backlog. The attempt ends (BullMQ stores the outcome) after this returns.
 */
export class FinalStatusRecorder {
  constructor(
    private readonly events: TaskEventLog,
    private readonly backlog: TaskBacklog,
    /** Absent in a worker that queues no notifications (tests). */
    private readonly notifications?: TaskNotifications,
  ) {}

  async record(job: TaskJob & { data: NotifyTarget & { tenant?: string } }, type: TaskType, final: StatusEvent, result?: unknown): Promise<void> {
    await this.notifications?.taskFinished(job, type, final, result);
    await this.events.append(job.id!, final);
    await this.backlog.finished(tenantOf(job.data), type, job.id!);
  }
}
