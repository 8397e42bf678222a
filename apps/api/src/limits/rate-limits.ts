import type { Response } from 'express';
import type { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { AppError } from '@trainyard/shared/platform';

/** Submits (train, predict, embed) and every other call have separate budgets. */
export type Budget = 'submit' | 'read';

export interface RateLimitSettings {
  windowSeconds: number;
  /** Requests per window and key. */
  submit: number;
  read: number;
}

/**
 * Request budgets per API key and window, counted in Redis so every API replica shares them
 * (rate-limiter-flexible's fixed window: one atomic increment per request). Every answer says where
 * the key stands in the IETF RateLimit-Policy and RateLimit fields; past the budget, 429 with
 * Retry-After.
 */
export class RateLimits {
  private readonly limiters: Record<Budget, RateLimiterRedis>;

  constructor(redis: Redis, prefix: string, settings: RateLimitSettings) {
    const limiter = (budget: Budget) =>
      new RateLimiterRedis({ storeClient: redis, keyPrefix: `${prefix}:ratelimit:${budget}`, points: settings[budget], duration: settings.windowSeconds });
    this.limiters = { submit: limiter('submit'), read: limiter('read') };
  }

  /** Takes one request from the key's budget; throws rate_limited once it is spent. */
  async take(res: Response, budget: Budget, keyId: string): Promise<void> {
    const limiter = this.limiters[budget];
    let standing: RateLimiterRes;
    let allowed = true;
    try {
      standing = await limiter.consume(keyId);
    } catch (rejection) {
      // The library rejects with the standing itself when the budget is spent, with an Error when Redis fails.
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      standing = rejection;
      allowed = false;
    }
    const resetSeconds = Math.max(1, Math.ceil(standing.msBeforeNext / 1000));
    res.set('RateLimit-Policy', `"${budget}";q=${limiter.points};w=${limiter.duration}`);
    res.set('RateLimit', `"${budget}";r=${standing.remainingPoints};t=${resetSeconds}`);
    if (allowed) return;
    res.set('Retry-After', String(resetSeconds));
    throw new AppError('rate_limited', `this key made ${limiter.points} ${budget === 'submit' ? 'submits' : 'requests'} in ${limiter.duration} s, its limit; try again in ${resetSeconds} s`);
  }
}
