import { chooseVersion } from '../models/routing.js';
import type { RedisClient } from '../platform/redis.js';
import { shardPrefix } from '../platform/redis-url.js';
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

/** Where a queue's jobs are, in every state but gone: a queue holding none of these keys is empty. */
const jobStates = ['wait', 'paused', 'active', 'prioritized', 'delayed', 'waiting-children', 'completed', 'failed'];

// KEYS: the most shards the deployment used. ARGV: its shards now. Keeps the larger; answers it.
const mostShardsLua = `
local most = tonumber(redis.call('GET', KEYS[1]) or '0')
local now = tonumber(ARGV[1])
if now > most then
  redis.call('SET', KEYS[1], now)
  return now
end
return most`;

/**
 * The shards at or beyond `count` whose train or predict queue still holds jobs, queued or kept
 * (QUEUE_SHARDS went down since they took tasks): read once at start, so workers drain them and the
 * API lists and shows them until they are empty. Each call records the most shards the deployment
 * has run with, and looks at the shards below that only (finding a far shard's prefix costs CPU):
 * one EXISTS per shard, its queues' keys sharing its hash tag.
 */
export async function retiredShards(redis: RedisClient, prefix: string, count: number): Promise<number[]> {
  const most = Number(await redis.eval(mostShardsLua, 1, `${prefix}:queue-shards:most`, count));
  const beyond = Array.from({ length: most - count }, (_, i) => count + i);
  const held = await Promise.all(
    beyond.map((shard) => redis.exists(...[...shardedTypes].flatMap((type) => jobStates.map((state) => `${shardPrefix(prefix, shard)}:${type}:${state}`)))),
  );
  return beyond.filter((_, i) => held[i]! > 0);
}
