import { z } from 'zod';
import { batchProgress } from '../jobs/batch.js';
import { trainProgress } from '../jobs/train.js';

/** How far a running task is: a training's epochs, a batch's rows. */
export const taskProgress = z.union([trainProgress, batchProgress]);
export type TaskProgress = z.output<typeof taskProgress>;

/** BullMQ's job.progress is untyped; only a progress object with a percentage counts. */
export function progressOf(value: unknown): TaskProgress | null {
  return typeof value === 'object' && value !== null && 'percent' in value ? (value as TaskProgress) : null;
}
