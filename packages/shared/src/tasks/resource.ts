import { deadlineOf, type TaskDeadline } from '../jobs/deadlines.js';
import type { LoggedTaskEvent, TaskError } from './events.js';
import type { TaskType } from './ids.js';
import { progressOf, type TaskProgress } from './progress.js';
import { terminalStatuses, type TaskStatus } from './status.js';

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
  /** The model the task trains or predicts with. */
  model: string | null;
  /** The model version it predicts with, or the one a training made; null until known. */
  version: number | null;
  /** The task this one re-runs (POST /v1/tasks/{id}/retry). */
  retry_of: string | null;
  /** The task that re-ran this one; a task is retried at most once. */
  retried_by: string | null;
  progress: TaskProgress | null;
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

export function historyOf(logged: readonly LoggedTaskEvent[]): TaskHistoryEntry[] {
  return logged.flatMap(({ event }) => {
    if (event.type !== 'status') return [];
    const { type: _type, ...entry } = event;
    return [entry];
  });
}

export function failuresIn(logged: readonly LoggedTaskEvent[]): TaskResource['failures'] {
  return logged.flatMap(({ event }) =>
    event.type === 'status' && event.error ? [{ attempt: event.attempt, at: event.at, ...event.error }] : [],
  );
}

export function lastWorker(logged: readonly LoggedTaskEvent[]): string | null {
  for (let i = logged.length - 1; i >= 0; i--) {
    const { event } = logged[i]!;
    if (event.type === 'status' && event.worker) return event.worker;
  }
  return null;
}


/** The part of a BullMQ job a task resource is built from. */
export interface TaskJob {
  id?: string;
  data: { deadline?: TaskDeadline; model?: string; version?: number; retry_of?: string };
  progress: unknown;
  returnvalue: unknown;
  failedReason?: string;
  attemptsStarted: number;
  timestamp: number;
  processedOn?: number;
  finishedOn?: number;
}

export interface TaskFacts {
  type: TaskType;
  status: TaskStatus;
  /** The task's event log, oldest first. */
  logged: readonly LoggedTaskEvent[];
  notifications?: TaskNotificationStatus[];
  /** A task being finished now: its result and finish time, which the job does not hold yet. */
  finishing?: { result: unknown; at: string };
  /** The task that re-ran this one, if one did. */
  retriedBy?: string | null;
}

/** The one builder of the task resource, for readers (GET, events) and for the notifications about a finished task. */
export function buildTaskResource(job: TaskJob, { type, status, logged, notifications = [], finishing, retriedBy = null }: TaskFacts): TaskResource {
  const failures = failuresIn(logged);
  const lastFailure = failures.at(-1);
  const terminal = terminalStatuses.has(status);
  let error: TaskError | null = null;
  if (status === 'FAILURE') {
    error = lastFailure ? { code: lastFailure.code, message: lastFailure.message } : { code: 'failed', message: job.failedReason ?? 'failed' };
  } else if (status === 'RETRY' && lastFailure) {
    error = { code: lastFailure.code, message: lastFailure.message };
  }
  const result = status === 'SUCCESS' ? (finishing ? finishing.result : job.returnvalue) ?? null : null;
  return {
    task_id: job.id!,
    type,
    status,
    model: job.data.model ?? null,
    version: job.data.version ?? versionIn(result),
    retry_of: job.data.retry_of ?? null,
    retried_by: retriedBy,
    progress: progressOf(job.progress),
    result,
    error,
    attempts: job.attemptsStarted,
    failures,
    history: historyOf(logged),
    notifications,
    worker: lastWorker(logged),
    created_at: iso(job.timestamp)!,
    started_at: iso(job.processedOn),
    // A waiting task past its expiry has no finishedOn yet: it finished when it expired.
    finished_at: finishing ? finishing.at : terminal ? iso(job.finishedOn ?? deadlineOf(job.data).expires_at) : null,
  };
}

/** A training's version is known from its result. */
function versionIn(result: unknown): number | null {
  const version = (result as { version?: unknown } | null)?.version;
  return typeof version === 'number' ? version : null;
}

function iso(epochMs: number | undefined): string | null {
  return epochMs ? new Date(epochMs).toISOString() : null;
}
