import type { ChangeFeed, ChangeFollower } from '../platform/change-feed.js';

/** How long a resolution is kept at most, should a change message ever go missing. */
const maxAgeMs = 1_000;
/** Past this many kept resolutions, all are dropped and read again. */
const maxEntries = 10_000;

/** The channel on which ModelRegistry's writers name a model whose versions or aliases changed. */
export const modelChangesChannel = (prefix: string) => `${prefix}:models:changed`;

/** The message naming one tenant's model (names never hold a line break). */
export const changedModel = (tenant: string, model: string) => `${tenant}\n${model}`;

/**
 * Model resolutions (the latest version, a version's metadata, the aliases and their routes) kept
 * in an API process's memory, so a predict request resolves its model without a Redis round trip.
 * Every writer of ModelRegistry publishes the model's name right after a change, and every process
 * drops what it kept of the model on that message. A resolution is kept at most maxAgeMs, and
 * none while the change feed is down (see ChangeFeed).
 */
export class KnownModels implements ChangeFollower {
  private readonly kept = new Map<string, { value: unknown; until: number }>();

  private constructor(private readonly feed: ChangeFeed) {}

  /** Follows model changes under `prefix` on the process' change feed. */
  static async follow(feed: ChangeFeed, prefix: string): Promise<KnownModels> {
    const known = new KnownModels(feed);
    await feed.follow(modelChangesChannel(prefix), known);
    return known;
  }

  /** The kept value of one part of a model (`latest`, `aliases`, `v3`), else `load`'s, kept unless it is null. */
  async read<T>(tenant: string, model: string, part: string, load: () => Promise<T | null>): Promise<T | null> {
    const key = `${changedModel(tenant, model)}\n${part}`;
    const kept = this.kept.get(key);
    if (kept && kept.until > Date.now()) return kept.value as T;
    const ticket = this.feed.ticket();
    const value = await load();
    if (value !== null && this.feed.keeps(ticket)) {
      if (this.kept.size >= maxEntries) this.kept.clear();
      this.kept.set(key, { value, until: Date.now() + maxAgeMs });
    }
    return value;
  }

  /** A model changed (the message is changedModel's): everything kept of it goes. */
  changed(message: string): void {
    const model = `${message}\n`;
    for (const key of this.kept.keys()) if (key.startsWith(model)) this.kept.delete(key);
  }

  forgetAll(): void {
    this.kept.clear();
  }
}
