import type { ScriptOp, ScriptOpKind } from '../platform/redis-batch.js';
import { ExpiryRefresh } from '../platform/expiry-refresh.js';
import { redisScript, type RedisClient } from '../platform/redis.js';
import { tenantKeyPrefix } from '../platform/tenants.js';
import { shardPrefix } from '../platform/redis-url.js';
import { taskShardOf, taskTypes, type TaskType } from '../tasks/ids.js';
import type { JobState } from '../tasks/status.js';
import { shardedTypes, shardRange } from './shards.js';
import { TaskIndex } from './task-index.js';

/** BullMQ's largest priority number (the least urgent): shadow copies of predictions wait behind every task. */
export const maxBullmqPriority = 2 ** 21 - 1;
/** Room for a request's own priority (1–100) within one round of a tenant's backlog. */
const round = 100;
/** A request that names no priority. */
export const defaultPriority = 50;

/**
 * The BullMQ priority of a task, fair between tenants: its round comes first (how many of the
 * tenant's tasks on the queue are unfinished, waiting or running, plus one), the request's own
 * priority second. A tenant's first task ties with every other tenant's first and goes before their
 * second, so however many tasks one tenant has queued, another tenant's first waits only for the
 * tasks already running (and, at most, the one first task of each tenant that queued before it).
 * Equal priorities run in the order they came (BullMQ is FIFO within one priority).
 */
export function fairPriority(unfinishedAhead: number, requested = defaultPriority): number {
  return Math.min((unfinishedAhead + 1) * round + requested, maxBullmqPriority);
}

// Counts a task in: `backlogs` are the tenant's unfinished tasks on the task's queue, then on every
// other task queue of its shard; `index` its task index in the shard; `elsewhere` how many unfinished
// tasks the tenant has in other shards. Answers how many of the tenant's tasks on this queue are
// unfinished ahead of this one, or -1 when the tenant has its quota of unfinished tasks already. The
// other queues' backlogs are counted only when one of them exists (one EXISTS for all): a tenant's
// unfinished tasks are mostly of one kind, and an empty backlog is no key. An
// admitted task joins the index here, so listing costs the submission no round trip of its own. When
// the index's upkeep is due (`upkeepMs`, its TTL, else 0), the index is trimmed to `upkeepMs` back
// and `keepMax` tasks and its expiry set. A Lua function, for scripts that admit along with other
// work (see answerOrAdmit).
export const admitLua = `
local function admit(backlogs, index, taskId, now, quota, upkeepMs, keepMax, elsewhere)
  local ahead = redis.call('ZCARD', backlogs[1])
  local total = elsewhere + ahead
  if #backlogs > 1 and redis.call('EXISTS', unpack(backlogs, 2)) > 0 then
    for i = 2, #backlogs do total = total + redis.call('ZCARD', backlogs[i]) end
  end
  if total >= quota then return -1 end
  redis.call('ZADD', backlogs[1], now, taskId)
  redis.call('ZADD', index, now, taskId)
  if upkeepMs > 0 then
    redis.call('ZREMRANGEBYSCORE', index, '-inf', '(' .. (now - upkeepMs))
    -- Past the cap, the oldest go; within it the range is empty.
    redis.call('ZREMRANGEBYRANK', index, 0, -keepMax - 1)
    redis.call('PEXPIRE', index, upkeepMs)
  end
  return ahead
end`;

// KEYS: the backlogs, then the index. ARGV: task id, now, quota, upkeepMs, keepMax, elsewhere.
const admitScript = `${admitLua}
return admit({unpack(KEYS, 1, #KEYS - 1)}, KEYS[#KEYS], ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]))`;

/** A task to count into its tenant's backlog: the keys (backlogs, then the index) and the arguments of admitLua's function. */
export interface Admission {
  keys: string[];
  /** task id, now, quota, upkeepMs, keepMax, elsewhere */
  args: [string, number, number, number, number, number];
  /** Says the admission was not made (refused, not run, failed), so the index upkeep it carried is due again. */
  notMade(): void;
}

// KEYS: a tenant's backlogs in one shard. Answers how many tasks they hold together.
const countScript = `
local total = 0
for i = 1, #KEYS do total = total + redis.call('ZCARD', KEYS[i]) end
return total`;

/** For a failed admission command: says the admission was not made, and rethrows. */
export const notMadeOnError =
  (admission: Admission) =>
  (error: unknown): never => {
    admission.notMade();
    throw error;
  };

/** A task leaves its tenant's backlog: an op that goes with the task's final status. */
export const leaveBacklogOp: ScriptOpKind = { name: 'backlog-leave', lua: `return redis.call('ZREM', keys[1], args[1])` };

const unfinishedStates: ReadonlySet<JobState> = new Set(['waiting', 'prioritized', 'delayed', 'waiting-children', 'active']);

/**
 * Each tenant's unfinished tasks (queued or running) per task queue, in Redis beside the queues:
 * the quota counts them, the fair priority counts those on the task's queue. The API admits a task
 * right before queueing it; whoever records its final status (a worker, or the API revoking a
 * waiting task) takes it out again.
 */
/** What retention keeps of a tenant's tasks, and so how far back its task index reaches. */
export interface IndexRetention {
  /** TASK_RETENTION_S */
  retentionSeconds: number;
  /** TASK_RETENTION_COUNT: per queue and outcome. */
  retentionCount: number;
}

/** How often one process trims its tenants' task indexes and refreshes their expiry. */
const indexUpkeepMs = 1_000;

export class TaskBacklog {
  private readonly admitTask;
  private readonly countTasks;
  private readonly index: TaskIndex;
  /** A task is listed up to twice the retention after its submission: it may wait and run before retention starts. */
  private readonly indexMs: number;
  /** The most tasks retention keeps: every task queue's successes and failures. */
  private readonly indexMax: number;

  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    retention: IndexRetention,
    /** QUEUE_SHARDS: a shard keeps the backlogs and index of the tasks on its queues, beside them. */
    private readonly shards = 1,
    /** When each index's upkeep is due: nothing deletes an index but its expiry, so once a second per process is enough. */
    private readonly indexUpkeep = new ExpiryRefresh(indexUpkeepMs),
  ) {
    this.admitTask = redisScript(redis, 'trainyardAdmitTask', admitScript);
    this.countTasks = redisScript(redis, 'trainyardCountBacklog', countScript);
    this.index = new TaskIndex(redis, prefix, shardRange(shards));
    this.indexMs = 2 * retention.retentionSeconds * 1000;
    this.indexMax = 2 * taskTypes.length * retention.retentionCount;
  }

  private key(tenant: string, queue: TaskType, shard: number): string {
    return `${tenantKeyPrefix(shardPrefix(this.prefix, shard), tenant)}:backlog:${queue}`;
  }

  /** The tenant's backlogs in a shard: every task type's in shard 0, the sharded types' in the others. */
  private keysOf(tenant: string, shard: number, first?: TaskType): string[] {
    const types = taskTypes.filter((type) => shard === 0 || shardedTypes.has(type));
    return [...(first ? [first] : []), ...types.filter((type) => type !== first)].map((type) => this.key(tenant, type, shard));
  }

  /**
   * Counts a task in before it is queued, in one command: null when the tenant has `quota`
   * unfinished tasks already, else how many of its tasks on the queue are unfinished ahead of it.
   * `at` (epoch ms, its job's timestamp) places it in the tenant's task index.
   */
  async admit(tenant: string, queue: TaskType, taskId: string, quota: number, at: number): Promise<number | null> {
    const admission = await this.admission(tenant, queue, taskId, quota, at);
    const { keys, args } = admission;
    const ahead = Number(await this.admitTask(keys.length, ...keys, ...args).catch(notMadeOnError(admission)));
    if (ahead >= 0) return ahead;
    admission.notMade();
    return null;
  }

  /** What admit runs, for a script that admits along with other work in the task's shard. */
  async admission(tenant: string, queue: TaskType, taskId: string, quota: number, at: number): Promise<Admission> {
    const shard = taskShardOf(taskId);
    const index = this.index.key(tenant, shard);
    const keys = [...this.keysOf(tenant, shard, queue), index];
    const elsewhere = await this.unfinishedElsewhere(tenant, shard);
    const upkeepMs = this.indexUpkeep.ttlFor(index, this.indexMs, at);
    const notMade = () => {
      if (upkeepMs > 0) this.indexUpkeep.forget(index);
    };
    return { keys, args: [taskId, at, quota, upkeepMs, this.indexMax, elsewhere], notMade };
  }

  /**
   * The tenant's unfinished tasks in the shards other than `shard`: read before the admission, as on
   * a cluster one script reads one slot. Two submits racing on two shards may so both pass a quota
   * that only one of them fits; within a shard the count is exact.
   */
  private async unfinishedElsewhere(tenant: string, shard: number): Promise<number> {
    if (this.shards === 1 && shard === 0) return 0;
    const others = shardRange(this.shards).filter((other) => other !== shard);
    const counts = await Promise.all(others.map((other) => this.keysOf(tenant, other)).map((keys) => this.countTasks(keys.length, ...keys)));
    return counts.reduce<number>((sum, count) => sum + Number(count), 0);
  }

  /** The task finished, left its queue, or was never queued after all. */
  async finished(tenant: string, queue: TaskType, taskId: string): Promise<void> {
    await this.redis.zrem(this.key(tenant, queue, taskShardOf(taskId)), taskId);
  }

  /** The same as `finished`, as an op to batch with the writes that record the task's final status. */
  finishedOp(tenant: string, queue: TaskType, taskId: string): ScriptOp {
    return { kind: leaveBacklogOp, keys: [this.key(tenant, queue, taskShardOf(taskId))], args: [taskId] };
  }

  /**
   * Takes out the tasks whose end nobody recorded (BullMQ failed a task that stalled too often,
   * retention removed it): called when a tenant reaches its quota, with each task's BullMQ state.
   * Answers how many it took out.
   */
  async prune(tenant: string, stateOf: (queue: TaskType, taskId: string) => Promise<JobState>): Promise<number> {
    let pruned = 0;
    const backlogs = shardRange(this.shards).flatMap((shard) => taskTypes.filter((type) => shard === 0 || shardedTypes.has(type)).map((queue) => ({ queue, shard })));
    for (const { queue, shard } of backlogs) {
      const key = this.key(tenant, queue, shard);
      const ids = await this.redis.zrange(key, 0, -1);
      const states = await Promise.all(ids.map((id) => stateOf(queue, id)));
      const gone = ids.filter((_, i) => !unfinishedStates.has(states[i]!));
      if (gone.length) pruned += await this.redis.zrem(key, ...gone);
    }
    return pruned;
  }
}
