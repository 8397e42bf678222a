import { setTimeout as sleep } from 'node:timers/promises';
import type { JobQueues } from '@trainyard/shared/jobs';
import type { Logger, RedisClient } from '@trainyard/shared/platform';
import type { TaskType } from '@trainyard/shared/tasks';
import type { BlockingConnections } from './blocking-redis.js';

/** A watch on one task: `next()` resolves once BullMQ has reported an end of its job since the last call (or the watch began). */
export interface CompletionWatch {
  next(): Promise<void>;
  stop(): void;
}

/**
 * The queue events that end a job's run: BullMQ appends them to the queue's event stream in the
 * same script that stores the outcome (or removes the job), so a task read after one of them is
 * seen finished, with its result.
 */
const endings = new Set(['completed', 'failed', 'removed']);
/** A follower's read blocks this long at most. */
const blockMs = 2_000;
/**
 * A follower with nobody left to tell reads on this long before it stops (then after its current
 * read): a client waiting on task after task, each waited for once it is submitted, then keeps one
 * read going, where the follower would otherwise stop and start again around every task (its
 * connection renamed twice and the stream's tail asked again, beside the task's run). Short,
 * because meanwhile it reads every event of the queue for nobody.
 */
const lingerMs = 100;
/** Events read per round trip at most. */
const readCount = 1_000;
/** A follower whose connection failed while tasks were watched starts again after this pause. */
const restartMs = 250;

/**
 * Tells waiting requests when their task's job ends, by following each task queue's event stream
 * (one reader per queue and process, on a blocking connection of its own, only while someone
 * waits) instead of a connection and a read per waiting request.
 */
export class TaskCompletions {
  /** By the queue's event stream: a sharded type has one per shard. */
  private readonly followers = new Map<string, QueueFollower>();

  constructor(
    private readonly redis: RedisClient,
    private readonly queues: JobQueues,
    private readonly connections: BlockingConnections,
    private readonly log: Logger,
  ) {}

  /**
   * Starts watching a task. Call it before reading the task: an end that comes after that read
   * is then never missed (the follower starts reading the stream at or before the read).
   */
  watch(type: TaskType, taskId: string): CompletionWatch {
    const stream = this.queues.forTask(type, taskId).keys.events!;
    let follower = this.followers.get(stream);
    if (!follower) {
      follower = new QueueFollower(this.redis, stream, this.connections, this.log);
      this.followers.set(stream, follower);
    }
    return follower.watch(taskId);
  }

  close(): void {
    for (const follower of this.followers.values()) follower.close();
  }
}

class QueueFollower {
  private readonly waiters = new Map<string, Set<() => void>>();
  private following = false;
  private closed = false;
  /** When the last waiter left (performance.now()). */
  private idleSince = 0;
  private connection: RedisClient | null = null;

  constructor(
    private readonly redis: RedisClient,
    private readonly stream: string,
    private readonly connections: BlockingConnections,
    private readonly log: Logger,
  ) {}

  watch(taskId: string): CompletionWatch {
    // An end reported while nobody awaited next() is kept for the next call, never lost.
    let ended = false;
    let wake: (() => void) | null = null;
    const waiter = () => {
      if (wake) wake();
      else ended = true;
      wake = null;
    };
    const waiters = this.waiters.get(taskId) ?? new Set();
    waiters.add(waiter);
    this.waiters.set(taskId, waiters);
    if (!this.following) this.start();
    return {
      next: () => {
        if (!ended) return new Promise<void>((resolve) => (wake = resolve));
        ended = false;
        return Promise.resolve();
      },
      stop: () => {
        waiters.delete(waiter);
        if (!waiters.size) this.waiters.delete(taskId);
        if (!this.waiters.size) this.idleSince = performance.now();
      },
    };
  }

  close(): void {
    this.closed = true;
    this.connection?.disconnect();
  }

  private start(): void {
    if (this.closed) return;
    this.following = true;
    // The stream's tail, asked now on the shared connection: ahead of the watcher's read of its task.
    const tail = this.redis.xrevrange(this.stream, '+', '-', 'COUNT', 1).then(([last]) => last?.[0] ?? '0-0');
    void this.follow(tail)
      .catch(async (error: unknown) => {
        if (this.closed) return;
        // The outage itself is logged by the shared connection's reporter.
        this.log.debug({ err: error, stream: this.stream }, 'task completions not followed; waiting requests fall back to rechecks');
        await sleep(restartMs);
      })
      .finally(() => {
        this.following = false;
        if (this.waiters.size) this.start();
      });
  }

  private async follow(tail: Promise<string>): Promise<void> {
    let cursor = await tail;
    const connection = (this.connection = await this.connections.acquire());
    try {
      while (!this.closed && (this.waiters.size || performance.now() - this.idleSince < lingerMs)) {
        const reply = (await connection.xread('COUNT', readCount, 'BLOCK', blockMs, 'STREAMS', this.stream, cursor)) as
          | [stream: string, entries: [id: string, fields: string[]][]][]
          | null;
        for (const [id, fields] of reply?.[0]?.[1] ?? []) {
          cursor = id;
          if (!endings.has(field(fields, 'event') ?? '')) continue;
          for (const wake of this.waiters.get(field(fields, 'jobId') ?? '') ?? []) wake();
        }
      }
    } finally {
      this.connection = null;
      this.connections.release(connection);
    }
  }
}

function field(fields: string[], name: string): string | undefined {
  for (let i = 0; i < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}
