import { z } from 'zod';
import { deadlineOf, type TaskDeadline } from '../jobs/deadlines.js';
import { batchPredictResult } from '../jobs/batch.js';
import { embedDatasetResult, predictResult } from '../jobs/predict.js';
import { resumePoint, trainResult } from '../jobs/train.js';
import { taskError, taskStatusEvent, type LoggedTaskEvent, type TaskError } from './events.js';
import { taskTypes, type TaskType } from './ids.js';
import { progressOf, taskProgress } from './progress.js';
import { taskStatuses, terminalStatuses, type TaskStatus } from './status.js';

/** One status change as the task's event log recorded it. */
export const taskHistoryEntry = taskStatusEvent.omit({ type: true }).extend({
  /** STARTED of a training's attempt that went on from its checkpoint: after which epoch of which phase. */
  resumed_from: resumePoint.optional(),
});
export type TaskHistoryEntry = z.output<typeof taskHistoryEntry>;

/** A notification the task asked for, as its notify job stands. */
export const taskNotificationStatus = z.object({
  channel: z.enum(['email', 'webhook']),
  status: z.enum(['pending', 'delivered', 'failed']),
  attempts: z.int(),
  last_error: z.string().nullable(),
});
export type TaskNotificationStatus = z.output<typeof taskNotificationStatus>;

const timestamp = z.iso.datetime();

/** GET /v1/tasks/{task_id}: what a user sees of a task, whichever replica answers. */
export const taskResource = z.object({
  task_id: z.string(),
  type: z.enum(taskTypes),
  status: z.enum(taskStatuses),
  /** The model the task trains or predicts with. */
  model: z.string().nullable(),
  /** The model version it predicts with, or the one a training made; null until known. */
  version: z.int().nullable(),
  /** The task this one re-runs (POST /v1/tasks/{id}/retry). */
  retry_of: z.string().nullable(),
  /** The task that re-ran this one; a task is retried at most once. */
  retried_by: z.string().nullable(),
  progress: taskProgress.nullable(),
  result: z
    .union([trainResult, predictResult, embedDatasetResult, batchPredictResult])
    .nullable()
    .describe("The task's result once it succeeded, else null: a training's new version and metrics, a prediction's predictions or embeddings, a dataset's embedding counts, a batch's output and error files."),
  /** The final error once the task failed; the last attempt's error while a retry is pending. */
  error: taskError.nullable(),
  /** Attempts started so far. */
  attempts: z.int(),
  /** One entry per failed attempt, oldest first. */
  failures: z.array(taskError.extend({ attempt: z.int(), at: timestamp })),
  /** Every status change, oldest first (progress updates are left out: `progress` holds the latest). */
  history: z.array(taskHistoryEntry),
  /** The notifications sent (or being sent) about the task's final status; empty until it has one. */
  notifications: z.array(taskNotificationStatus),
  /** The worker process that ran (or runs) the latest attempt, as "hostname:pid". */
  worker: z.string().nullable(),
  created_at: timestamp,
  started_at: timestamp.nullable(),
  finished_at: timestamp.nullable(),
});
export type TaskResource = z.output<typeof taskResource>;

/** The answer to a submit: the task as it was queued. */
export const submittedTask = z.object({
  task_id: z.string(),
  type: z.enum(taskTypes),
  status: z.literal('PENDING'),
  created_at: timestamp,
  links: z.object({ self: z.string() }),
});
export type SubmittedTask = z.output<typeof submittedTask>;

/** The status changes; a resume is told on its attempt's STARTED entry. */
export function historyOf(logged: readonly LoggedTaskEvent[]): TaskHistoryEntry[] {
  const history: TaskHistoryEntry[] = [];
  for (const { event } of logged) {
    if (event.type === 'status') {
      const { type: _type, ...entry } = event;
      history.push(entry);
    } else if (event.type === 'resume') {
      const started = history.findLast((entry) => entry.status === 'STARTED' && entry.attempt === event.attempt);
      if (started) started.resumed_from = event.resumed_from;
    }
  }
  return history;
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
  // What the worker returned for this type of task: only workers write it.
  const result = (status === 'SUCCESS' ? ((finishing ? finishing.result : job.returnvalue) ?? null) : null) as TaskResource['result'];
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
