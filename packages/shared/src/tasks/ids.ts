import { randomBytes } from 'node:crypto';

/** One BullMQ queue per task type; the queue name is the type. */
export const taskTypes = ['train', 'predict', 'batch'] as const;
export type TaskType = (typeof taskTypes)[number];

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
