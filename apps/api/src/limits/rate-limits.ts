import type { Response } from 'express';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { AppError, type RedisClient } from '@trainyard/shared/platform';

/** Submits (train, predict, embed) and every other call have separate budgets. */
export type Budget = 'submit' | 'read';

export interface RateLimitSettings {
  windowSeconds: number;
  /** Requests per window and key. */
  submit: number;
  read: number;
}

/** Requests of a key's budget this replica reserved in Redis and has yet to spend, until the window resets. */
interface Lease {
  left: number;
  /** The key's budget left in Redis right after the reservation. */
  remaining: number;
  resetAt: number;
  /** Redis had nothing left to give: refused from memory until the window resets. */
  spent: boolean;
}

/** A lease is 1 % of a budget, at most 10 requests: small budgets are counted one request at a time. */
const leaseSizeOf = (points: number) => Math.min(10, Math.max(1, Math.floor(points / 100)));
const maxLeases = 10_000;

/**
 * Request budgets per API key and window, counted in Redis so every API replica shares them
 * (rate-limiter-flexible's fixed window: one atomic increment per call). A replica reserves a
 * key's requests a lease at a time (1 % of the budget, at most 10; one reservation in flight per
 * key) and spends them from memory, so most requests take no Redis round trip: a key is never let
 * through past its budget, and is refused at most a lease minus one request early per other
 * replica. Every answer says where the key stands in the IETF RateLimit-Policy and RateLimit
 * fields; past the budget, 429 with Retry-After.
 */
export class RateLimits {
  private readonly limiters: Record<Budget, RateLimiterRedis>;
  private readonly policies: Record<Budget, string>;
  private readonly leases = new Map<string, Lease>();
  private readonly reserving = new Map<string, Promise<void>>();

  constructor(redis: RedisClient, prefix: string, settings: RateLimitSettings) {
    const limiter = (budget: Budget) =>
      new RateLimiterRedis({ storeClient: redis, keyPrefix: `${prefix}:ratelimit:${budget}`, points: settings[budget], duration: settings.windowSeconds });
    this.limiters = { submit: limiter('submit'), read: limiter('read') };
    this.policies = { submit: `"submit";q=${settings.submit};w=${settings.windowSeconds}`, read: `"read";q=${settings.read};w=${settings.windowSeconds}` };
  }

  /** Takes one request from the key's budget: at once from a lease, else after a reservation; rate_limited once it is spent. */
  take(res: Response, budget: Budget, keyId: string): void | Promise<void> {
    const id = `${budget}:${keyId}`;
    const lease = this.leases.get(id);
    const now = Date.now();
    if (lease && now < lease.resetAt) {
      if (lease.left > 0) {
        lease.left--;
        return this.announce(res, budget, lease.remaining + lease.left, lease.resetAt - now);
      }
      if (lease.spent) return this.refuse(res, budget, lease.resetAt - now);
    }
    let reserved = this.reserving.get(id);
    if (!reserved) {
      reserved = this.reserve(id, budget, keyId).finally(() => this.reserving.delete(id));
      this.reserving.set(id, reserved);
    }
    return reserved.then(() => this.take(res, budget, keyId));
  }

  private async reserve(id: string, budget: Budget, keyId: string): Promise<void> {
    const limiter = this.limiters[budget];
    const size = leaseSizeOf(limiter.points);
    let standing: RateLimiterRes;
    try {
      standing = await limiter.consume(keyId, size);
    } catch (rejection) {
      // The library rejects with the standing itself when the budget is spent, with an Error when Redis fails.
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      standing = rejection;
    }
    // What was left before this reservation, up to its size, is this replica's to spend.
    const granted = Math.min(size, limiter.points - (standing.consumedPoints - size));
    if (this.leases.size >= maxLeases) this.dropExpired();
    this.leases.set(id, { left: Math.max(0, granted), remaining: standing.remainingPoints, resetAt: Date.now() + standing.msBeforeNext, spent: granted < 1 });
  }

  private refuse(res: Response, budget: Budget, resetMs: number): never {
    const limiter = this.limiters[budget];
    this.announce(res, budget, 0, resetMs);
    const seconds = Math.max(1, Math.ceil(resetMs / 1000));
    if (!res.headersSent) res.set('Retry-After', String(seconds));
    throw new AppError('rate_limited', `this key made ${limiter.points} ${budget === 'submit' ? 'submits' : 'requests'} in ${limiter.duration} s, its limit; try again in ${seconds} s`);
  }

  private announce(res: Response, budget: Budget, remaining: number, resetMs: number): void {
    if (res.headersSent) return;
    res.setHeader('RateLimit-Policy', this.policies[budget]);
    res.setHeader('RateLimit', `"${budget}";r=${remaining};t=${Math.max(1, Math.ceil(resetMs / 1000))}`);
  }

  private dropExpired(): void {
    const now = Date.now();
    for (const [id, lease] of this.leases) if (now >= lease.resetAt) this.leases.delete(id);
  }
}
