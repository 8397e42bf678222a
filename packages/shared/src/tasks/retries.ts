import { taskPrefix } from './ids.js';
import type { RedisClient } from '../platform/redis.js';

/**
 * Which task re-ran which: the new task's job carries `retry_of`, the old task a record of the new
 * one's id for the retention time. Claiming the record is what makes a task retried at most once,
 * whichever API replica is asked.
 */
export class TaskRetries {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly retentionSeconds: number,
  ) {}

  key(taskId: string): string {
    return `${taskPrefix(this.prefix, taskId)}:task:${taskId}:retried-by`;
  }

  /** Records `retryId` as the task's retry unless one is recorded: answers the retry that holds it. */
  async claim(taskId: string, retryId: string): Promise<string> {
    const [[, claimed], [, holder]] = (await this.redis
      .multi()
      .set(this.key(taskId), retryId, 'EX', this.retentionSeconds, 'NX')
      .get(this.key(taskId))
      .exec()) as [[unknown, unknown], [unknown, string]];
    return claimed === 'OK' ? retryId : holder;
  }

  /** Frees the claim of a retry that was not queued after all. */
  async release(taskId: string, retryId: string): Promise<void> {
    if ((await this.redis.get(this.key(taskId))) === retryId) await this.redis.del(this.key(taskId));
  }
}
