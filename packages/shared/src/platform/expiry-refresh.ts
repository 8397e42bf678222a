/**
 * When the expiries of keys written often are next refreshed. A writer that refreshes a key's expiry
 * at most once per interval, to its TTL plus that interval, keeps the key outliving every write
 * until the next refresh by at least the TTL: one PEXPIRE per interval instead of one per write.
 * Sound only for keys that nothing deletes but their expiry, and that every writer refreshes so.
 */
export class ExpiryRefresh {
  private readonly due = new Map<string, number>();

  constructor(readonly intervalMs: number) {}

  /** The TTL in ms to give the key now (its own plus the interval), or 0 when its refresh is not due yet. */
  ttlFor(key: string, ttlMs: number, now = Date.now()): number {
    if ((this.due.get(key) ?? 0) > now) return 0;
    // Keys written a few times only (a task's own log) would pile up: past due ones go once there are many.
    if (this.due.size >= maxTracked) for (const [tracked, at] of this.due) if (at <= now) this.due.delete(tracked);
    this.due.set(key, now + this.intervalMs);
    return ttlMs + this.intervalMs;
  }

  /** The refresh ttlFor asked for did not happen after all: the key's is due again at once. */
  forget(key: string): void {
    this.due.delete(key);
  }
}

const maxTracked = 10_000;
