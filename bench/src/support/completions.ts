import { QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';

/**
 * Counts jobs completing on one queue, from the queue's own event stream. It starts reading at the
 * stream's current tail, so nothing completing after `open` returns is missed and nothing before is counted.
 */
export class CompletionCounter {
  private completed = 0;
  private failure: string | null = null;
  private readonly waiters = new Set<() => void>();

  private constructor(private readonly events: QueueEvents) {
    events.on('completed', () => {
      this.completed++;
      this.notify();
    });
    events.on('failed', ({ jobId, failedReason }) => {
      this.failure ??= `job ${jobId} failed: ${failedReason}`;
      this.notify();
    });
  }

  static async open(redisUrl: string, prefix: string, queue: string): Promise<CompletionCounter> {
    const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
    let tail: string;
    try {
      const [last] = await redis.xrevrange(`${prefix}:${queue}:events`, '+', '-', 'COUNT', 1);
      tail = last?.[0] ?? '0';
    } finally {
      redis.disconnect();
    }
    const events = new QueueEvents(queue, { prefix, lastEventId: tail, connection: { url: redisUrl } });
    await events.waitUntilReady();
    return new CompletionCounter(events);
  }

  /** Resolves once `count` jobs have completed; rejects at the first failed job or after `timeoutMs`. */
  until(count: number, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.failure) done(new Error(this.failure));
        else if (this.completed >= count) done();
      };
      const timer = setTimeout(() => done(new Error(`${this.completed}/${count} jobs completed after ${timeoutMs} ms`)), timeoutMs);
      const done = (error?: Error) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        if (error) reject(error);
        else resolve();
      };
      this.waiters.add(check);
      check();
    });
  }

  async close(): Promise<void> {
    await this.events.close();
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}
