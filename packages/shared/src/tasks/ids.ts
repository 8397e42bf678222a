import { randomFillSync } from 'node:crypto';
import { shardPrefix } from '../platform/redis-url.js';

/** One BullMQ queue per task type (per shard of the sharded types); the queue name is the type. */
export const taskTypes = ['train', 'predict', 'batch'] as const;
export type TaskType = (typeof taskTypes)[number];

/**
 * A task id is its type, its queue shard when not the first (`predict-s2-…`), and 128 random bits,
 * so any API replica finds the queue from the id alone and nobody can guess another user's task
 * (BullMQ's own ids are a counter). Ids of shard 0 are those from before shards existed.
 */
export function newTaskId(type: TaskType, shard = 0): string {
  return `${type}${shard ? `-s${shard}` : ''}-${random128BitsHex()}`;
}

/**
 * Random bytes drawn from the CSPRNG 4 KiB at a time and handed out 16 at a time, each once, as
 * crypto.randomUUID buffers its own: a call of randomBytes(16) costs about 3 µs of its own overhead,
 * paid by every submit.
 */
const randomPool = Buffer.alloc(4096);
let randomPoolUsed = randomPool.length;

function random128BitsHex(): string {
  if (randomPoolUsed === randomPool.length) {
    randomFillSync(randomPool);
    randomPoolUsed = 0;
  }
  const hex = randomPool.toString('hex', randomPoolUsed, randomPoolUsed + 16);
  randomPoolUsed += 16;
  return hex;
}

/** The shards an id may name: 1-63 (QUEUE_SHARDS is at most 64). */
const taskIdPattern = new RegExp(`^(${taskTypes.join('|')})(?:-s([1-9]|[1-5]\\d|6[0-3]))?-[0-9a-f]{32}$`);

export function taskTypeOf(taskId: string): TaskType | null {
  const match = taskIdPattern.exec(taskId);
  return match ? (match[1] as TaskType) : null;
}

/** The queue shard a task id names: 0 for ids without one. */
export function taskShardOf(taskId: string): number {
  return Number(taskIdPattern.exec(taskId)?.[2] ?? 0);
}

/** Where a task's keys live: its shard's prefix (see shardPrefix), next to its queue's jobs. */
export function taskPrefix(prefix: string, taskId: string): string {
  return shardPrefix(prefix, taskShardOf(taskId));
}
