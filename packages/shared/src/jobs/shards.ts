import { chooseVersion } from '../models/routing.js';
import type { TaskType } from '../tasks/ids.js';

/** The task types split over QUEUE_SHARDS queues; batches (few, long) keep one queue, shard 0's. */
export const shardedTypes: ReadonlySet<TaskType> = new Set(['train', 'predict']);

/** Shards 0 … count-1. */
export const shardRange = (count: number): number[] => Array.from({ length: count }, (_, shard) => shard);

/**
 * The shard a new task of a tenant's model goes to: rendezvous hashing on tenant and model, so a
 * model's tasks share one queue (its predictions batch together and stay in the workers' model
 * cache) and changing the number of shards moves only the models it must, about 1/count of them.
 */
export function chooseShard(type: TaskType, count: number, tenant: string, model: string | null): number {
  if (count === 1 || !shardedTypes.has(type)) return 0;
  return chooseVersion(Object.fromEntries(shardRange(count).map((shard) => [shard, 1])), `${tenant}\0${model ?? ''}`);
}
