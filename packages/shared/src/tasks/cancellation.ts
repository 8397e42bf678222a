import { taskPrefix } from './ids.js';
import { tenantOf } from '../platform/tenants.js';

/** A task revoked while it waited, as its user saw it, and whose it is. */
export interface RevokedTask {
  task: TaskResource;
  tenant: string;
  /** The job it was queued as, its name and data, so a retry can run it again. */
  request?: { name: string; data: Record<string, unknown> };
}
import { keysExistOp, type ScriptOp } from '../platform/redis-batch.js';
import type { TaskResource } from './resource.js';
import type { RedisClient } from '../platform/redis.js';

/**
 * Cancel requests travel through Redis, so any API replica reaches whichever worker process runs the
 * task: a flag per task, which a worker checks when it picks the task up (a cancel that races the
 * start still wins), and a pub/sub message on one channel that stops a task already running.
 * A waiting task is removed from its queue instead; a record of it stays readable as REVOKED.
 */
export class TaskCancellation {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly retentionSeconds: number,
  ) {}

  /** Workers subscribe here; each message is a task id. */
  get channel(): string {
    return `${this.prefix}:task-cancel`;
  }

  private flagKey(taskId: string): string {
    return `${taskPrefix(this.prefix, taskId)}:task:${taskId}:cancel`;
  }

  revokedKey(taskId: string): string {
    return `${taskPrefix(this.prefix, taskId)}:task:${taskId}:revoked`;
  }

  /** Sets the flag and tells every worker; the one running the task stops it. */
  async request(taskId: string): Promise<void> {
    await this.redis
      .multi()
      .set(this.flagKey(taskId), '1', 'EX', this.retentionSeconds)
      .publish(this.channel, taskId)
      .exec();
  }

  /** Whether a cancel was requested, as an op of a RedisBatch: its result is 1 when one was. Workers check it with the task's STARTED event. */
  requestedOp(taskId: string): ScriptOp {
    return { kind: keysExistOp, keys: [this.flagKey(taskId)], args: [] };
  }

  /** The subset of the given tasks with a pending cancel request, for a worker that may have missed a message. */
  async requestedAmong(taskIds: string[]): Promise<string[]> {
    // One MGET per shard: on a cluster one command reads one slot.
    const byShard = new Map<string, string[]>();
    for (const id of taskIds) {
      const shard = taskPrefix(this.prefix, id);
      byShard.set(shard, [...(byShard.get(shard) ?? []), id]);
    }
    const requested = await Promise.all(
      [...byShard.values()].map(async (ids) => {
        const flags = await this.redis.mget(ids.map((id) => this.flagKey(id)));
        return ids.filter((_, i) => flags[i] !== null);
      }),
    );
    return requested.flat();
  }

  /**
   * Keeps what a user sees of a task removed from its queue, for the retention time. Written before
   * the removal: while the job exists readers ignore the record, so nobody ever sees a gap.
   */
  async keepRevoked({ task, tenant, request }: RevokedTask): Promise<void> {
    await this.redis.set(this.revokedKey(task.task_id), JSON.stringify({ ...task, tenant, request }), 'EX', this.retentionSeconds);
  }

  /** Drops the record again when the removal did not happen (a worker took the task meanwhile). */
  async forgetRevoked(taskId: string): Promise<void> {
    await this.redis.del(this.revokedKey(taskId));
  }

}

type ResourceAdditions = 'model' | 'version' | 'retry_of' | 'retried_by';

/** A revoked task's record as stored; one kept before tenants existed carries none and is `default`'s. */
export function revokedTaskOf(stored: string): RevokedTask {
  type Stored = Omit<TaskResource, ResourceAdditions> & Partial<Pick<TaskResource, ResourceAdditions>> & Omit<RevokedTask, 'tenant' | 'task'> & { tenant?: string };
  const { tenant, request, ...task } = JSON.parse(stored) as Stored;
  // Records kept before these fields existed have none of them.
  const known: TaskResource = { model: null, version: null, retry_of: null, retried_by: null, ...task };
  return { task: known, tenant: tenantOf({ tenant }), ...(request ? { request } : {}) };
}
