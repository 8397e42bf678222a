import type { TrainProgress } from './jobs.js';
import type { TaskError } from './task-events.js';
import type { TaskStatus, TaskType } from './tasks.js';

/** GET /v1/tasks/{task_id}: what a user sees of a task, whichever replica answers. */
export interface TaskResource {
  task_id: string;
  type: TaskType;
  status: TaskStatus;
  progress: TrainProgress | null;
  result: unknown;
  /** The final error once the task failed; the last attempt's error while a retry is pending. */
  error: TaskError | null;
  /** Attempts started so far. */
  attempts: number;
  /** One entry per failed attempt, oldest first. */
  failures: (TaskError & { attempt: number; at: string })[];
  /** The worker process that ran (or runs) the latest attempt, as "hostname:pid". */
  worker: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}
