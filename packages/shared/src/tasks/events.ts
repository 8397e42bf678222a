import { z } from 'zod';
import { resumePoint } from '../jobs/train.js';
import { errorCode } from '../platform/errors.js';
import { ExpiryRefresh } from '../platform/expiry-refresh.js';
import { singleOpScript, type ScriptOp, type ScriptOpKind } from '../platform/redis-batch.js';
import { hashSlot } from '../platform/redis-url.js';
import { tenantKeyPrefix, tenantOf } from '../platform/tenants.js';
import { taskPrefix, taskTypeOf, type TaskType } from './ids.js';
import { taskProgress } from './progress.js';
import { taskStatuses, type TaskStatus } from './status.js';
import type { RedisClient } from '../platform/redis.js';

export const taskError = z.object({ code: errorCode, message: z.string() });
export type TaskError = z.output<typeof taskError>;

export const taskStatusEvent = z.object({
  type: z.literal('status'),
  status: z.enum(taskStatuses),
  attempt: z.int(),
  at: z.iso.datetime(),
  /** The worker process ("hostname:pid") that made the change, when a worker did. */
  worker: z.string().optional(),
  error: taskError.optional(),
});
export type StatusEvent = z.output<typeof taskStatusEvent>;

export const taskProgressEvent = z.object({ type: z.literal('progress'), progress: taskProgress, at: z.iso.datetime() });

/** A training's attempt that went on from its checkpoint instead of its first epoch. */
export const taskResumeEvent = z.object({
  type: z.literal('resume'),
  attempt: z.int(),
  at: z.iso.datetime(),
  worker: z.string().optional(),
  resumed_from: resumePoint,
});
export type ResumeEvent = z.output<typeof taskResumeEvent>;

export const taskEvent = z.discriminatedUnion('type', [taskStatusEvent, taskProgressEvent, taskResumeEvent]);
export type TaskEvent = z.output<typeof taskEvent>;

/** A status change as it is logged now; `worker` names the process that made it, when a worker did. */
export function statusEvent(status: TaskStatus, attempt: number, worker?: string, error?: TaskError): StatusEvent {
  return { type: 'status', status, attempt, at: new Date().toISOString(), ...(worker ? { worker } : {}), ...(error ? { error } : {}) };
}

/** Whose a task is and what it is about: its events also go to its tenant's feed, tagged with it. */
export interface TaskTag {
  tenant: string;
  type: TaskType;
  model: string | null;
}

/** The task an entry of a tenant's feed is about. */
export interface FeedTask {
  task_id: string;
  type: TaskType;
  model: string | null;
}

export interface LoggedTaskEvent {
  id: string;
  event: TaskEvent;
  /** Set on the entries of a tenant's feed. */
  task?: FeedTask;
}

/** The tag of a task from its id and its job's data. */
export function taskTagOf(taskId: string, data: { tenant?: string; model?: string }): TaskTag {
  return { tenant: tenantOf(data), type: taskTypeOf(taskId)!, model: data.model ?? null };
}

/** Enough for every status change and a progress update per epoch of a long training. */
const maxEvents = 2_000;
/** A tenant's feed keeps about this many of its newest events: what a reconnecting client can replay. */
export const feedMaxEvents = 10_000;

/**
 * Appends to a task's log and to its tenant's feed in one op: workers append several times per task,
 * and the feed costs them no round trip of its own. args: the task (for the feed), each key's TTL in
 * ms when its retention is refreshed (0: not this time), then the events in order (a STARTED and
 * the outcome it was deferred to go with, say). Answers the log id of the last.
 */
export const taskEventOp: ScriptOpKind = {
  name: 'task-event',
  lua: `
local id
for i = 4, #args do id = redis.call('XADD', keys[1], 'MAXLEN', '~', ${maxEvents}, '*', 'e', args[i]) end
if args[2] ~= '0' then redis.call('PEXPIRE', keys[1], args[2]) end
for i = 4, #args do redis.call('XADD', keys[2], 'MAXLEN', '~', ${feedMaxEvents}, '*', 'e', args[i], 't', args[1]) end
if args[3] ~= '0' then redis.call('PEXPIRE', keys[2], args[3]) end
return id`,
};

/** A taskEventOp that appends only the first of its events, refreshing the same expiries (for when the op itself was skipped). */
export function firstEventOnly(op: ScriptOp): ScriptOp {
  return { ...op, args: op.args.slice(0, 4) };
}

/**
 * The two halves of taskEventOp, for a task whose log is in another hash slot than its tenant's
 * feed (a queue shard other than 0, on a cluster): the feed entry follows as a command of its own.
 */
export const taskLogEventOp: ScriptOpKind = {
  name: 'task-log-event',
  lua: `
local id = redis.call('XADD', keys[1], 'MAXLEN', '~', ${maxEvents}, '*', 'e', args[1])
if args[2] ~= '0' then redis.call('PEXPIRE', keys[1], args[2]) end
return id`,
};
export const feedEventOp: ScriptOpKind = {
  name: 'feed-event',
  lua: `
local id = redis.call('XADD', keys[1], 'MAXLEN', '~', ${feedMaxEvents}, '*', 'e', args[1], 't', args[2])
if args[3] ~= '0' then redis.call('PEXPIRE', keys[1], args[3]) end
return id`,
};

/** Every kind of op appendOps makes, for the RedisBatch that runs them. */
export const taskEventOps: readonly ScriptOpKind[] = [taskEventOp, taskLogEventOp, feedEventOp];

/**
 * An append-only, capped log per task in a Redis stream, written by whichever worker runs the
 * task. It outlives the BullMQ job's attempts, so every attempt's failure stays visible, and it
 * expires with the task's retention. A log's or a feed's expiry is refreshed at most every 100 ms per
 * process (to 100 ms past the retention): a task's STARTED and its outcome, or a tenant's busy feed,
 * pay for one PEXPIRE, not one per event. Nothing deletes either but their expiry.
 */
export class TaskEventLog {
  private readonly appendEvent;
  private readonly expiries = new ExpiryRefresh(100);
  /** On a cluster, shards other than 0 keep task logs in other slots than the feeds. */
  private readonly splitsFeed: boolean;

  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly retentionSeconds: number,
  ) {
    this.appendEvent = new Map(taskEventOps.map((kind) => [kind, singleOpScript(redis, kind)]));
    this.splitsFeed = 'isCluster' in redis && redis.isCluster;
  }

  /** In the task's shard (taskPrefix), beside its job: one script reads both. */
  key(taskId: string): string {
    return `${taskPrefix(this.prefix, taskId)}:task:${taskId}:events`;
  }

  /** A tenant's feed: every event of its tasks, tagged with the task, capped at feedMaxEvents. */
  feedKey(tenant: string): string {
    return `${tenantKeyPrefix(this.prefix, tenant)}:task-feed`;
  }

  async append(taskId: string, event: TaskEvent, tag: TaskTag): Promise<void> {
    for (const op of this.appendOps(taskId, event, tag)) await this.appendEvent.get(op.kind)!(op);
  }

  /**
   * The append of one or more events, in order, as ops for a RedisBatch that writes many tasks'
   * events in one command: one op, or each event's log op then feed op when the two are in
   * different slots of a cluster.
   */
  appendOps(taskId: string, events: TaskEvent | readonly TaskEvent[], { tenant, type, model }: TaskTag): ScriptOp[] {
    const task = JSON.stringify({ task_id: taskId, type, model } satisfies FeedTask);
    const [log, feed] = [this.key(taskId), this.feedKey(tenant)];
    const entries = (Array.isArray(events) ? events : [events]).map((event) => JSON.stringify(event));
    const now = Date.now();
    const [logTtl, feedTtl] = [this.expiries.ttlFor(log, this.retentionSeconds * 1000, now), this.expiries.ttlFor(feed, this.retentionSeconds * 1000, now)];
    if (!this.splitsFeed || hashSlot(log) === hashSlot(feed)) {
      return [{ kind: taskEventOp, keys: [log, feed], args: [task, logTtl, feedTtl, ...entries] }];
    }
    return entries.flatMap((entry, i): ScriptOp[] => [
      { kind: taskLogEventOp, keys: [log], args: [entry, i ? 0 : logTtl] },
      { kind: feedEventOp, keys: [feed], args: [entry, task, i ? 0 : feedTtl] },
    ]);
  }

  /** A tenant's feed after the given id (exclusive), oldest first, at most `count` entries. */
  async readFeed(tenant: string, afterId: string, count: number): Promise<LoggedTaskEvent[]> {
    const entries = await this.redis.xrange(this.feedKey(tenant), `(${afterId}`, '+', 'COUNT', count);
    return entries.map(parseLogEntry);
  }

  /** The id of the feed's newest entry, or "0-0" while it is empty. */
  async feedLastId(tenant: string): Promise<string> {
    const [newest] = await this.redis.xrevrange(this.feedKey(tenant), '+', '-', 'COUNT', 1);
    return newest?.[0] ?? '0-0';
  }

  /** Events after the given stream id (exclusive), oldest first. */
  async read(taskId: string, afterId?: string): Promise<LoggedTaskEvent[]> {
    const entries = await this.redis.xrange(this.key(taskId), afterId ? `(${afterId}` : '-', '+');
    return entries.map(parseLogEntry);
  }

  /** The id of the newest event, or "0-0" (before any) while the log is empty. */
  async lastId(taskId: string): Promise<string> {
    const [newest] = await this.redis.xrevrange(this.key(taskId), '+', '-', 'COUNT', 1);
    return newest?.[0] ?? '0-0';
  }

  /**
   * Waits up to blockMs for entries in any of several logs or feeds (by stream key), each after its
   * own position ("0-0" for all), and returns what came, by key; an empty map when nothing did.
   * XREAD BLOCK holds its connection, so `connection` must be one of the caller's own, without a
   * command timeout: never a shared fail-fast connection.
   */
  async followMany(connection: RedisClient, positions: ReadonlyMap<string, string>, blockMs: number, count = 500): Promise<Map<string, LoggedTaskEvent[]>> {
    const reply = (await connection.xread('COUNT', count, 'BLOCK', blockMs, 'STREAMS', ...positions.keys(), ...positions.values())) as
      | [key: string, entries: [id: string, fields: string[]][]][]
      | null;
    return new Map((reply ?? []).map(([key, entries]) => [key, entries.map(parseLogEntry)]));
  }
}

/** Orders two stream ids (`<ms>-<seq>`, each part up to 64 bits): -1, 0 or 1, as for a sort. */
export function compareEventIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(BigInt) as [bigint, bigint];
  const [bm, bs] = b.split('-').map(BigInt) as [bigint, bigint];
  if (am !== bm) return am < bm ? -1 : 1;
  return as === bs ? 0 : as < bs ? -1 : 1;
}

/** One stream entry of a task's log or a tenant's feed, as XRANGE and XREAD return it. */
export function parseLogEntry([id, fields]: [id: string, fields: string[]]): LoggedTaskEvent {
  const event = JSON.parse(fields[1] ?? 'null') as TaskEvent;
  return fields[3] === undefined ? { id, event } : { id, event, task: JSON.parse(fields[3]) as FeedTask };
}
