import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { AppError, hashSlot, serverOf, type RedisClient } from '@trainyard/shared/platform';
import { compareEventIds, type LoggedTaskEvent, type TaskEventLog } from '@trainyard/shared/tasks';

/** One follow of one task's log or one tenant's feed: what an event stream reads from. */
export interface TaskLogFollow {
  /** The entries past what was read already, waiting up to `ms` for some; [] when none came. */
  next(ms: number): Promise<LoggedTaskEvent[]>;
  /** Ends the follow; any `next` still waiting answers []. */
  close(): void;
}

export interface FollowLimits {
  /** Follows one API key may hold in this process. */
  perKey: number;
  /** Follows this process holds at most. */
  perProcess: number;
}

/** How long one multiplexed read blocks when nothing interrupts it; new follows interrupt it at once. */
const blockMs = 10_000;
const retryMs = 250;

class Follow implements TaskLogFollow {
  private buffered: LoggedTaskEvent[] = [];
  private waiter: { resolve: (entries: LoggedTaskEvent[]) => void; reject: (error: unknown) => void } | null = null;
  private failed: unknown = null;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    /** The followed stream's key. */
    readonly key: string,
    /** The newest entry handed on (or the id the follow started after). */
    public position: string,
    /** The API key holding it. */
    readonly owner: string,
    private readonly release: (follow: Follow) => void,
  ) {}

  next(ms: number): Promise<LoggedTaskEvent[]> {
    if (this.failed) return Promise.reject(this.failed);
    if (this.buffered.length || ms <= 0) return Promise.resolve(this.take());
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
      this.timer = setTimeout(() => this.wake(), ms);
    });
  }

  close(): void {
    this.forget();
    this.wake();
  }

  /** Gives back its place (and its owner's count) without waking a waiting `next`. */
  forget(): void {
    this.release(this);
  }

  deliver(entries: LoggedTaskEvent[]): void {
    const fresh = entries.filter(({ id }) => compareEventIds(id, this.position) > 0);
    if (!fresh.length) return;
    this.buffered.push(...fresh);
    this.position = fresh.at(-1)!.id;
    this.wake();
  }

  fail(error: unknown): void {
    this.failed = error;
    const waiter = this.waiter;
    this.waiter = null;
    clearTimeout(this.timer);
    waiter?.reject(error);
  }

  private take(): LoggedTaskEvent[] {
    return this.buffered.splice(0);
  }

  private wake(): void {
    const waiter = this.waiter;
    if (!waiter) return;
    this.waiter = null;
    clearTimeout(this.timer);
    waiter.resolve(this.take());
  }
}

/**
 * Follows many tasks' event logs over one Redis connection per process (per hash slot of the logs
 * on a cluster: one per queue shard, see shardPrefix): a single XREAD BLOCK reads every followed
 * log of a slot at once and hands each follow its entries, so a thousand open event streams and
 * waits hold one connection, not a thousand. Each API key, and the process, may hold a bounded
 * number of follows: 429 beyond.
 */
export class TaskFollower {
  private readonly perOwner = new Map<string, number>();
  private count = 0;
  private readonly readers = new Map<number, SlotReader>();
  private closed = false;

  constructor(
    private readonly events: TaskEventLog,
    /** Opens a blocking connection (lazily connecting) for the logs of one slot; nothing else runs on it. */
    private readonly connect: () => RedisClient,
    /** The API's shared connection, which sends CLIENT UNBLOCK. */
    private readonly control: RedisClient,
    private readonly limits: FollowLimits,
  ) {}

  /**
   * Starts following a stream (a task's log, a tenant's feed: TaskEventLog's keys) after `afterId`,
   * for `owner` (an API key's id); 429 beyond the caps.
   */
  follow(key: string, afterId: string, owner: string): TaskLogFollow {
    this.admit(owner);
    const slot = 'isCluster' in this.control && this.control.isCluster ? hashSlot(key) : 0;
    let reader = this.readers.get(slot);
    if (!reader) this.readers.set(slot, (reader = new SlotReader(this.events, this.connect(), this.control)));
    const release = (done: Follow) => {
      if (reader.release(done)) this.discharge(done.owner);
    };
    return reader.follow(new Follow(key, afterId, owner, release));
  }

  /** Ends every follow and the blocking connections. */
  close(): void {
    this.closed = true;
    for (const reader of this.readers.values()) reader.close();
  }

  /**
   * Counts a wait that follows no log (it waits for its job's end) against the same caps as the
   * follows; call the answer once when the wait ends.
   */
  hold(owner: string): () => void {
    this.admit(owner);
    let held = true;
    return () => {
      if (held) this.discharge(owner);
      held = false;
    };
  }

  /** One more wait or stream for `owner`; 429 beyond its key's or the process' cap. */
  private admit(owner: string): void {
    if (this.closed) throw new AppError('unavailable', 'the API is stopping; try again');
    const held = this.perOwner.get(owner) ?? 0;
    if (held >= this.limits.perKey) throw new AppError('too_many_streams', `this key holds ${held} waits and event streams on this API replica, its limit`);
    if (this.count >= this.limits.perProcess) throw new AppError('too_many_streams', 'this API replica holds as many waits and event streams as it may; try again shortly');
    this.perOwner.set(owner, held + 1);
    this.count++;
  }

  private discharge(owner: string): void {
    this.count--;
    const held = (this.perOwner.get(owner) ?? 1) - 1;
    if (held) this.perOwner.set(owner, held);
    else this.perOwner.delete(owner);
  }
}

/**
 * The follows of the logs of one hash slot, over one blocking connection. A new follow interrupts
 * the read in progress (CLIENT UNBLOCK, sent on the shared connection) so the next read includes it
 * at once.
 */
class SlotReader {
  private readonly follows = new Map<string, Set<Follow>>();
  /** The positions of the read in flight, by stream key. */
  private reading: ReadonlyMap<string, string> | null = null;
  /** The server the reads block on (on a cluster, the master of the logs' slot) and the read's client id there. */
  private blocked: { key: string; server: Redis; id: string } | null = null;
  private idle: (() => void) | null = null;
  private closed = false;
  private running = false;
  private interrupting = false;
  private interruptWanted = false;

  constructor(
    private readonly events: TaskEventLog,
    /** The blocking connection, opened on first use; nothing else runs on it. */
    private readonly connection: RedisClient,
    /** The API's shared connection, which sends CLIENT UNBLOCK. */
    private readonly control: RedisClient,
  ) {
    // Another connection (after a reconnect) has another client id.
    connection.on('close', () => (this.blocked = null));
  }

  follow(follow: Follow): TaskLogFollow {
    const ofKey = this.follows.get(follow.key) ?? new Set();
    ofKey.add(follow);
    this.follows.set(follow.key, ofKey);
    this.start();
    if (!this.covered(follow)) this.interrupt();
    return follow;
  }

  /** Ends every follow and the blocking connection. */
  close(): void {
    this.closed = true;
    this.failAll(new AppError('unavailable', 'the API is stopping'));
    this.idle?.();
    this.connection.disconnect();
  }

  /** Forgets a follow: true the first time. */
  release(follow: Follow): boolean {
    const ofKey = this.follows.get(follow.key);
    if (!ofKey?.delete(follow)) return false;
    if (!ofKey.size) this.follows.delete(follow.key);
    return true;
  }

  /** Ends every follow with an error; each stream or wait decides what to answer. */
  private failAll(error: unknown): void {
    for (const ofTask of [...this.follows.values()]) {
      for (const follow of ofTask) {
        follow.forget();
        follow.fail(error);
      }
    }
  }

  /** The read in flight already reads this follow's log from at or before its position. */
  private covered(follow: Follow): boolean {
    const position = this.reading?.get(follow.key);
    return position !== undefined && compareEventIds(position, follow.position) <= 0;
  }

  /** Each followed stream's position: the oldest of its follows'. */
  private positions(): Map<string, string> {
    const positions = new Map<string, string>();
    for (const [key, ofKey] of this.follows) {
      for (const { position } of ofKey) {
        const current = positions.get(key);
        if (current === undefined || compareEventIds(position, current) < 0) positions.set(key, position);
      }
    }
    return positions;
  }

  private start(): void {
    if (this.idle) {
      const wake = this.idle;
      this.idle = null;
      wake();
    }
    if (this.running) return;
    this.running = true;
    void this.run();
  }

  private async run(): Promise<void> {
    while (!this.closed) {
      if (!this.follows.size) {
        await new Promise<void>((wake) => (this.idle = wake));
        continue;
      }
      try {
        if (this.connection.status === 'wait') await this.connection.connect();
        await this.identify();
        // Read the positions right before the command goes out: a follow added from here on sees
        // `reading` and interrupts this read if it does not cover it.
        const positions = this.positions();
        if (!positions.size) continue;
        this.reading = positions;
        const read = this.events.followMany(this.connection, positions, blockMs);
        const entries = await read.finally(() => (this.reading = null));
        for (const [key, logged] of entries) for (const follow of this.follows.get(key) ?? []) follow.deliver(logged);
      } catch (error) {
        if (this.closed) break;
        // A failed read may mean a failover: ask again where the logs are.
        this.blocked = null;
        this.failAll(error);
        await sleep(retryMs);
      }
    }
    this.running = false;
  }

  /**
   * Learns which server the next read blocks on and its client id there. Every followed stream of
   * a reader shares one hash slot, so any of their keys names it.
   */
  private async identify(): Promise<void> {
    const key = this.follows.keys().next().value!;
    const server = serverOf(this.connection, key);
    if (!server) throw new AppError('unavailable', 'the Redis Cluster has no master for the task logs right now');
    if (this.blocked?.server !== server) this.blocked = { key, server, id: String(await server.client('ID')) };
  }

  /** Asks for the read in flight to end, so the next one includes the follows it does not cover. */
  private interrupt(): void {
    this.interruptWanted = true;
    if (!this.interrupting) void this.interruptReads();
  }

  /**
   * UNBLOCK can reach Redis before it began to block on the read just sent: then it answers 0 and
   * goes again. A follow asking meanwhile gets another round once this read has ended.
   */
  private async interruptReads(): Promise<void> {
    this.interrupting = true;
    try {
      while (this.interruptWanted) {
        this.interruptWanted = false;
        const read = this.reading;
        const blocked = this.blocked;
        const server = blocked && serverOf(this.control, blocked.key);
        if (!read || !server) break;
        for (let tries = 0; tries < 100 && this.reading === read; tries++) {
          if (Number(await server.client('UNBLOCK', blocked.id)) === 1) break;
          await sleep(1);
        }
      }
    } catch {
      // The shared connection is down: the read ends by itself within blockMs.
    } finally {
      this.interrupting = false;
    }
  }
}
