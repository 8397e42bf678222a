import { randomBytes } from 'node:crypto';

/** One BullMQ queue per task type; the queue name is the type. */
export const taskTypes = ['train', 'predict'] as const;
export type TaskType = (typeof taskTypes)[number];

export const taskStatuses = ['PENDING', 'STARTED', 'RETRY', 'SUCCESS', 'FAILURE', 'REVOKED', 'EXPIRED'] as const;
export type TaskStatus = (typeof taskStatuses)[number];
export const terminalStatuses: ReadonlySet<TaskStatus> = new Set(['SUCCESS', 'FAILURE', 'REVOKED', 'EXPIRED']);

/**
 * A task id is its type followed by 128 random bits, so any API replica finds the queue from the
 * id alone and nobody can guess another user's task (BullMQ's own ids are a counter).
 */
export function newTaskId(type: TaskType): string {
  return `${type}-${randomBytes(16).toString('hex')}`;
}

const taskIdPattern = new RegExp(`^(${taskTypes.join('|')})-[0-9a-f]{32}$`);

export function taskTypeOf(taskId: string): TaskType | null {
  const match = taskIdPattern.exec(taskId);
  return match ? (match[1] as TaskType) : null;
}

/** BullMQ job states as Job.getState() reports them. */
export type JobState =
  | 'completed'
  | 'failed'
  | 'active'
  | 'delayed'
  | 'prioritized'
  | 'waiting'
  | 'waiting-children'
  | 'unknown';

/** The one place that says how a BullMQ job state reads to a user. */
export function taskStatusOf(state: JobState, attemptsMade: number): TaskStatus {
  switch (state) {
    case 'completed':
      return 'SUCCESS';
    case 'failed':
      return 'FAILURE';
    case 'active':
      return 'STARTED';
    default:
      // Back in a waiting state after a failed attempt: another attempt is scheduled.
      return attemptsMade > 0 ? 'RETRY' : 'PENDING';
  }
}
