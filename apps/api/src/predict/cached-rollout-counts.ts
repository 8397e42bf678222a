import type { RolloutStats } from '@trainyard/shared/models';
import type { Logger } from '@trainyard/shared/platform';

/** An alias's version that answered from the cache. */
export interface CachedAnswerAt {
  tenant: string;
  model: string;
  alias: string;
  version: number;
}

const flushEveryMs = 1_000;

/**
 * Counts the requests to an alias that the prediction cache answered: they never reach a worker,
 * which counts the others. Counted in memory and added to the alias's stats once a second, so a cache
 * hit costs no Redis command of its own; the stats lag by that second, and a crashed replica loses at
 * most its last second of counts (figures, never tasks).
 */
export class CachedRolloutCounts {
  private pending = new Map<string, CachedAnswerAt & { requests: number }>();
  private readonly timer = setInterval(() => void this.flush(), flushEveryMs).unref();

  constructor(
    private readonly rollouts: RolloutStats,
    private readonly log: Logger,
  ) {}

  count(at: CachedAnswerAt): void {
    const id = `${at.tenant}\n${at.model}\n${at.alias}\n${at.version}`;
    const counted = this.pending.get(id);
    if (counted) counted.requests++;
    else this.pending.set(id, { ...at, requests: 1 });
  }

  /** Adds what was counted since the last flush to the stats. */
  async flush(): Promise<void> {
    if (!this.pending.size) return;
    const counts = [...this.pending.values()];
    this.pending = new Map();
    await this.rollouts.addCached(counts).catch((error: unknown) => this.log.warn({ err: error }, 'cache-answered requests not added to rollout stats'));
  }

  /** Stops the timer and adds the last counts. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
