import type { ErrorCode } from '../platform/errors.js';
import { singleOpScript, type ScriptOp, type ScriptOpKind } from '../platform/redis-batch.js';
import type { TaskProgress } from './progress.js';
import type { TaskStatus } from './status.js';
import type { RedisClient } from '../platform/redis.js';

export interface TaskError {
  code: ErrorCode;
  message: string;
}

export type StatusEvent = { type: 'status'; status: TaskStatus; attempt: number; at: string; worker?: string; error?: TaskError };

export type TaskEvent = StatusEvent | { type: 'progress'; progress: TaskProgress; at: string };

/** A status change as it is logged now; `worker` names the process that made it, when a worker did. */
export function statusEvent(status: TaskStatus, attempt: number, worker?: string, error?: TaskError): StatusEvent {
  return { type: 'status', status, attempt, at: new Date().toISOString(), ...(worker ? { worker } : {}), ...(error ? { error } : {}) };
}

export interface LoggedTaskEvent {
  id: string;
  event: TaskEvent;
}

/** Enough for every status change and a progress update per epoch of a long training. */
const maxEvents = 2_000;

/** Appends to a task's log and refreshes its retention, in one op: workers append several times per task. */
export const taskEventOp: ScriptOpKind = {
  name: 'task-event',
  lua: `
local id = redis.call('XADD', keys[1], 'MAXLEN', '~', args[1], '*', 'e', args[2])
redis.call('EXPIRE', keys[1], args[3])
return id`,
};

/**
 * An append-only, capped log per task in a Redis stream, written by whichever worker runs the
 * task. It outlives the BullMQ job's attempts, so every attempt's failure stays visible, and it
 * expires with the task's retention.
 */
export class TaskEventLog {
  private readonly appendEvent;

  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly retentionSeconds: number,
  ) {
    this.appendEvent = singleOpScript(redis, taskEventOp);
  }

  key(taskId: string): string {
    return `${this.prefix}:task:${taskId}:events`;
  }

  async append(taskId: string, event: TaskEvent): Promise<void> {
    await this.appendEvent(this.appendOp(taskId, event));
  }

  /** The append as an op, for a RedisBatch that writes many tasks' events in one command. */
  appendOp(taskId: string, event: TaskEvent): ScriptOp {
    return { kind: taskEventOp, keys: [this.key(taskId)], args: [maxEvents, JSON.stringify(event), this.retentionSeconds] };
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
   * Waits up to blockMs for events in any of several tasks' logs, each after its own position
   * ("0-0" for all), and returns what came, by task; an empty map when nothing did. XREAD BLOCK
   * holds its connection, so `connection` must be one of the caller's own, without a command
   * timeout: never a shared fail-fast connection.
   */
  async followMany(connection: RedisClient, positions: ReadonlyMap<string, string>, blockMs: number, count = 500): Promise<Map<string, LoggedTaskEvent[]>> {
    const taskIds = [...positions.keys()];
    const keys = taskIds.map((taskId) => this.key(taskId));
    const reply = (await connection.xread('COUNT', count, 'BLOCK', blockMs, 'STREAMS', ...keys, ...positions.values())) as
      | [key: string, entries: [id: string, fields: string[]][]][]
      | null;
    const byKey = new Map(keys.map((key, i) => [key, taskIds[i]!]));
    return new Map((reply ?? []).map(([key, entries]) => [byKey.get(key)!, entries.map(parseLogEntry)]));
  }
}

/** Orders two stream ids (`<ms>-<seq>`, each part up to 64 bits): -1, 0 or 1, as for a sort. */
export function compareEventIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(BigInt) as [bigint, bigint];
  const [bm, bs] = b.split('-').map(BigInt) as [bigint, bigint];
  if (am !== bm) return am < bm ? -1 : 1;
  return as === bs ? 0 : as < bs ? -1 : 1;
}

/** One stream entry of a task's log, as XRANGE and XREAD return it. */
export function parseLogEntry([id, fields]: [id: string, fields: string[]]): LoggedTaskEvent {
  return { id, event: JSON.parse(fields[1] ?? 'null') as TaskEvent };
}
