import type { BatchProgress } from '../jobs/batch.js';
import type { TrainProgress } from '../jobs/train.js';

/** How far a running task is: a training's epochs, a batch's rows. */
export type TaskProgress = TrainProgress | BatchProgress;

/** BullMQ's job.progress is untyped; only a progress object with a percentage counts. */
export function progressOf(value: unknown): TaskProgress | null {
  return typeof value === 'object' && value !== null && 'percent' in value ? (value as TaskProgress) : null;
}
