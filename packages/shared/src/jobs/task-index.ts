import type { RedisClient } from '../platform/redis.js';
import { shardPrefix } from '../platform/redis-url.js';
import { tenantKeyPrefix } from '../platform/tenants.js';

/** One entry of a tenant's task index: the task and when it was submitted (epoch ms). */
export interface IndexedTask {
  taskId: string;
  createdAt: number;
}

/** Where a page of the index starts: after this entry, in newest-first order. */
export type IndexPosition = IndexedTask;

/**
 * Each tenant's tasks by submit time, newest first: a sorted set the submission's admit script
 * writes (TaskBacklog.admit), trimmed there to what task retention can still hold. Ids whose task
 * is gone stay until trimmed; readers skip them.
 */
export class TaskIndex {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    /** The shards whose indexes a page merges (each indexes the tasks on its queues): QUEUE_SHARDS's, and retired ones still holding tasks. */
    private readonly shards: readonly number[] = [0],
  ) {}

  key(tenant: string, shard = 0): string {
    return `${tenantKeyPrefix(shardPrefix(this.prefix, shard), tenant)}:tasks`;
  }

  /**
   * Up to `count` entries after `after` (from the newest when null), none submitted before
   * `sinceMs`, from every shard's index: each shard's page read, merged, and cut to `count`.
   */
  async page(tenant: string, after: IndexPosition | null, sinceMs: number | null, count: number): Promise<IndexedTask[]> {
    const pages = await Promise.all(this.shards.map((shard) => this.shardPage(this.key(tenant, shard), after, sinceMs, count)));
    if (pages.length === 1) return pages[0]!;
    return pages
      .flat()
      .sort((a, b) => b.createdAt - a.createdAt || (a.taskId < b.taskId ? 1 : a.taskId > b.taskId ? -1 : 0))
      .slice(0, count);
  }

  /** One shard's page. Entries of one millisecond come in descending id order, so a position is exact. */
  private async shardPage(key: string, after: IndexPosition | null, sinceMs: number | null, count: number): Promise<IndexedTask[]> {
    const max = after ? String(after.createdAt) : '+inf';
    const min = sinceMs === null ? '-inf' : String(sinceMs);
    const found: IndexedTask[] = [];
    for (let offset = 0; found.length < count; ) {
      const flat = await this.redis.zrange(key, max, min, 'BYSCORE', 'REV', 'LIMIT', offset, count, 'WITHSCORES');
      for (let i = 0; i < flat.length && found.length < count; i += 2) {
        const entry = { taskId: flat[i]!, createdAt: Number(flat[i + 1]) };
        // Same millisecond as the position: only the ids after it (smaller, in reverse order).
        if (after && entry.createdAt === after.createdAt && entry.taskId >= after.taskId) continue;
        found.push(entry);
      }
      if (flat.length < count * 2) break;
      offset += count;
    }
    return found;
  }
}
