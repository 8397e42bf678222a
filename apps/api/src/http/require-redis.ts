import type { RequestHandler } from 'express';
import { UnavailableError, type RedisClient } from '@trainyard/shared/platform';

/**
 * Answers 503 at once while the Redis connection is down, instead of letting BullMQ wait for it:
 * nothing is queued in memory, and the client learns right away to try again.
 */
export function requireRedis(redis: RedisClient): RequestHandler {
  return (_req, _res, next) => {
    if (redis.status !== 'ready') throw new UnavailableError('the task store (Redis) is unreachable; try again shortly');
    next();
  };
}
