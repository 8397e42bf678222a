import type { TrainProgress } from './jobs.js';
import type { LoggedTaskEvent, TaskError } from './task-events.js';
import type { TaskStatus, TaskType } from './tasks.js';

/** One status change as the task's event log recorded it. */
export interface TaskHistoryEntry {
  status: TaskStatus;
  attempt: number;
  at: string;
  worker?: string;
  error?: TaskError;
}

/** A notification the task asked for, as its notify job stands. */
export interface TaskNotificationStatus {
  channel: 'email' | 'webhook';
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  last_error: string | null;
}

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
  /** Every status change, oldest first (progress updates are left out: `progress` holds the latest). */
  history: TaskHistoryEntry[];
  /** The notifications sent (or being sent) about the task's final status; empty until it has one. */
  notifications: TaskNotificationStatus[];
  /** The worker process that ran (or runs) the latest attempt, as "hostname:pid". */
  worker: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

export function historyOf(logged: LoggedTaskEvent[]): TaskHistoryEntry[] {
  return logged.flatMap(({ event }) => {
    if (event.type !== 'status') return [];
    const { type: _type, ...entry } = event;
    return [entry];
  });
}

export function failuresIn(logged: LoggedTaskEvent[]): TaskResource['failures'] {
  return logged.flatMap(({ event }) =>
    event.type === 'status' && event.error ? [{ attempt: event.attempt, at: event.at, ...event.error }] : [],
  );
}

export function lastWorker(logged: LoggedTaskEvent[]): string | null {
  for (let i = logged.length - 1; i >= 0; i--) {
    const { event } = logged[i]!;
    if (event.type === 'status' && event.worker) return event.worker;
  }
  return null;
}

/** BullMQ's job.progress is untyped; only a training's progress object counts. */
export function progressOf(value: unknown): TrainProgress | null {
  return typeof value === 'object' && value !== null && 'percent' in value ? (value as TrainProgress) : null;
}
