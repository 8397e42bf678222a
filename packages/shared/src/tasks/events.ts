import type { Redis } from 'ioredis';
import type { ErrorCode } from '../platform/errors.js';
import { singleOpScript, type ScriptOp, type ScriptOpKind } from '../platform/redis-batch.js';
import type { TaskProgress } from './progress.js';
import type { TaskStatus } from './status.js';

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
    private readonly redis: Redis,
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

  /**
   * Waits up to blockMs for events after `afterId` ("0-0" for all) and returns them, or [] when
   * none came. XREAD BLOCK holds its connection, so `connection` must be one of the caller's
   * own, without a command timeout: never a shared fail-fast connection.
   */
  async follow(connection: Redis, taskId: string, afterId: string, blockMs: number): Promise<LoggedTaskEvent[]> {
    const reply = (await connection.xread('BLOCK', blockMs, 'STREAMS', this.key(taskId), afterId)) as
      | [key: string, entries: [id: string, fields: string[]][]][]
      | null;
    return reply?.[0]?.[1].map(parseLogEntry) ?? [];
  }
}

/** One stream entry of a task's log, as XRANGE and XREAD return it. */
export function parseLogEntry([id, fields]: [id: string, fields: string[]]): LoggedTaskEvent {
  return { id, event: JSON.parse(fields[1] ?? 'null') as TaskEvent };
}
