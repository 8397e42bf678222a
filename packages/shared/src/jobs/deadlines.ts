import { z } from 'zod';
import type { TaskType } from '../tasks/ids.js';

const seconds = z.coerce.number().int().positive();

/** Server-side defaults and maxima of the deadlines a submit may ask for, per queue. */
export const deadlineEnv = z.object({
  /** Longest run time of one training attempt when the request names none. */
  TRAIN_TIMEOUT_S: seconds.default(3_600),
  /** A training holds a slot of the train pool: six hours at most, unless the operator allows more. */
  TRAIN_TIMEOUT_MAX_S: seconds.default(21_600),
  PREDICT_TIMEOUT_S: seconds.default(60),
  PREDICT_TIMEOUT_MAX_S: seconds.default(3_600),
  /** How long a task may wait to start when the request names no expiry; unset: it waits as long as it takes. */
  TRAIN_EXPIRES_S: seconds.optional(),
  TRAIN_EXPIRES_MAX_S: seconds.default(7 * 86_400),
  PREDICT_EXPIRES_S: seconds.optional(),
  PREDICT_EXPIRES_MAX_S: seconds.default(86_400),
  /** Batch predictions: the whole run, every chunk included. */
  BATCH_TIMEOUT_S: seconds.default(3_600),
  BATCH_TIMEOUT_MAX_S: seconds.default(86_400),
  BATCH_EXPIRES_S: seconds.optional(),
  BATCH_EXPIRES_MAX_S: seconds.default(7 * 86_400),
});
type DeadlineEnv = z.output<typeof deadlineEnv>;

interface Limit {
  default?: number;
  max: number;
}

/** What the API enforces per queue, in seconds. */
export type DeadlineLimits = Record<TaskType, { timeout: Required<Limit>; expires: Limit }>;

export function deadlineLimits(env: DeadlineEnv): DeadlineLimits {
  return {
    train: {
      timeout: { default: env.TRAIN_TIMEOUT_S, max: env.TRAIN_TIMEOUT_MAX_S },
      expires: { default: env.TRAIN_EXPIRES_S, max: env.TRAIN_EXPIRES_MAX_S },
    },
    predict: {
      timeout: { default: env.PREDICT_TIMEOUT_S, max: env.PREDICT_TIMEOUT_MAX_S },
      expires: { default: env.PREDICT_EXPIRES_S, max: env.PREDICT_EXPIRES_MAX_S },
    },
    batch: {
      timeout: { default: env.BATCH_TIMEOUT_S, max: env.BATCH_TIMEOUT_MAX_S },
      expires: { default: env.BATCH_EXPIRES_S, max: env.BATCH_EXPIRES_MAX_S },
    },
  };
}

/** Config issues for an app schema's superRefine: a default above its maximum is a mistake, not a clamp. */
export function checkDeadlineEnv(env: DeadlineEnv, ctx: z.RefinementCtx): void {
  const pairs = [
    ['TRAIN_TIMEOUT_S', 'TRAIN_TIMEOUT_MAX_S'],
    ['PREDICT_TIMEOUT_S', 'PREDICT_TIMEOUT_MAX_S'],
    ['TRAIN_EXPIRES_S', 'TRAIN_EXPIRES_MAX_S'],
    ['PREDICT_EXPIRES_S', 'PREDICT_EXPIRES_MAX_S'],
    ['BATCH_TIMEOUT_S', 'BATCH_TIMEOUT_MAX_S'],
    ['BATCH_EXPIRES_S', 'BATCH_EXPIRES_MAX_S'],
  ] as const;
  for (const [name, maxName] of pairs) {
    const value = env[name];
    if (value !== undefined && value > env[maxName]) {
      ctx.addIssue({ code: 'custom', path: [name], message: `is above ${maxName} (${env[maxName]})` });
    }
  }
}

/** The deadlines a task carries in its job data (key `deadline`), fixed by the API at submit time. */
export const taskDeadline = z.object({
  /** Longest run time of one attempt; past it the attempt is stopped and the task fails with code `timeout`. */
  timeout_ms: z.int().positive().optional(),
  /** Epoch ms; a task that has not started by then becomes EXPIRED and never runs. */
  expires_at: z.int().positive().optional(),
});
export type TaskDeadline = z.output<typeof taskDeadline>;

/** A job's deadlines, read without parsing the job; none for a job queued before deadlines existed. */
export function deadlineOf(jobData: { deadline?: TaskDeadline }): TaskDeadline {
  return jobData.deadline ?? {};
}

export interface RequestedDeadline {
  timeout_s?: number;
  expires_s?: number;
}

/** Where a requested deadline breaks the server's limits, in the shape of a validation issue. */
export interface DeadlineIssue {
  path: 'timeout_s' | 'expires_s';
  message: string;
}

/** Applies the queue's defaults and maxima to what a submit asked for. */
export function resolveDeadline(
  limits: DeadlineLimits[TaskType],
  requested: RequestedDeadline,
  submittedAt: number,
): { deadline: TaskDeadline } | { issue: DeadlineIssue } {
  const timeout = requested.timeout_s ?? limits.timeout.default;
  if (timeout > limits.timeout.max) return { issue: { path: 'timeout_s', message: `must be at most ${limits.timeout.max}` } };
  const expires = requested.expires_s ?? limits.expires.default;
  if (expires !== undefined && expires > limits.expires.max) {
    return { issue: { path: 'expires_s', message: `must be at most ${limits.expires.max}` } };
  }
  return {
    deadline: {
      timeout_ms: timeout * 1000,
      ...(expires !== undefined ? { expires_at: submittedAt + expires * 1000 } : {}),
    },
  };
}
