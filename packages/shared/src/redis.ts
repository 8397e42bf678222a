import { Redis, type RedisOptions } from 'ioredis';

/**
 * The API fails fast: with Redis down a command rejects at once (→ 503) instead of waiting in an
 * in-memory offline queue. Workers wait and retry forever, as BullMQ requires for blocking commands.
 */
export function createRedis(url: string, role: 'api' | 'worker', extra: RedisOptions = {}): Redis {
  const options: RedisOptions =
    role === 'api'
      ? { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2_000, commandTimeout: 2_000 }
      : { maxRetriesPerRequest: null };
  const redis = new Redis(url, {
    ...options,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
    ...extra,
  });
  // Reconnection is automatic; without a listener ioredis would print every failed attempt.
  redis.on('error', () => {});
  return redis;
}

/** Refuse a queue Redis that may evict keys: an evicted job is a lost task. */
export async function evictionPolicy(redis: Redis): Promise<string> {
  const reply = (await redis.config('GET', 'maxmemory-policy')) as string[];
  return reply[1] ?? 'unknown';
}

type ScriptCall = (...args: (string | number)[]) => Promise<unknown>;

/**
 * A Lua script as one command: ioredis sends it by SHA once Redis knows it (defineCommand). On a
 * hot path, one command instead of several saves client CPU as much as round trips.
 * Without numberOfKeys, the first argument of each call is the number of keys.
 */
export function redisScript(redis: Redis, name: string, lua: string, numberOfKeys?: number): ScriptCall {
  if (!(name in redis)) redis.defineCommand(name, numberOfKeys === undefined ? { lua } : { lua, numberOfKeys });
  return (...args) => (redis as unknown as Record<string, ScriptCall>)[name]!(...args);
}
