import type { Logger } from '../platform/logger.js';
import { createRedis, evictionPolicy, type RedisClient } from '../platform/redis.js';

export interface CacheRedis {
  redis: RedisClient;
  /** Set when the cache had to share the queue Redis: say so at start. */
  warning?: string;
}

/**
 * The cache's own connection, or the queue's when CACHE_REDIS_URL is unset. Its own connection fails
 * fast in every process: a cache that is down must cost a miss, never hold up a request or a task.
 */
export function connectCacheRedis(cacheUrl: string | undefined, queueRedis: RedisClient, log: Logger): CacheRedis {
  if (cacheUrl) return { redis: createRedis(cacheUrl, { role: 'api', log, label: 'cache' }) };
  return {
    redis: queueRedis,
    warning:
      'CACHE_REDIS_URL is not set: predictions are cached on the queue Redis, which must not evict, ' +
      'so only PREDICT_CACHE_TTL bounds the cache; give it its own Redis with maxmemory-policy allkeys-lru',
  };
}

export interface EvictionVerdict {
  level: 'ok' | 'warn' | 'refuse';
  message: string;
}

/** The queue Redis must keep every key: an evicted job or event log is a lost task. */
export function queueEvictionVerdict(policy: string, mode: 'refuse' | 'warn'): EvictionVerdict {
  if (policy === 'noeviction') return { level: 'ok', message: 'the queue Redis never evicts keys' };
  if (policy === 'unknown') {
    return { level: 'warn', message: 'could not read the queue Redis maxmemory-policy (CONFIG GET refused); make sure it is noeviction' };
  }
  const message = `the queue Redis has maxmemory-policy ${policy}, so it may evict tasks; configure noeviction`;
  return mode === 'refuse'
    ? { level: 'refuse', message: `${message} (or set QUEUE_REDIS_EVICTION=warn to run anyway); refusing to start` }
    : { level: 'warn', message };
}

/** A cache Redis of its own should make room by evicting least recently used entries. */
export function cacheEvictionVerdict(policy: string): EvictionVerdict {
  if (policy === 'allkeys-lru' || policy === 'allkeys-lfu') return { level: 'ok', message: `the cache Redis evicts by ${policy}` };
  return {
    level: 'warn',
    message: `the cache Redis has maxmemory-policy ${policy}; allkeys-lru keeps it bounded by evicting the least recently used predictions`,
  };
}

/**
 * Reads the policy each time the connection becomes ready (at start and after every reconnect, so a
 * failover to a differently configured server is noticed too). A Redis that hides CONFIG (some managed
 * services do) reports "unknown".
 */
export function onEvictionPolicy(redis: RedisClient, listener: (policy: string) => void): void {
  const read = () => void evictionPolicy(redis).then(listener, () => listener('unknown'));
  redis.on('ready', read);
  if (redis.status === 'ready') read();
}

/**
 * Watches the queue Redis' eviction policy and, by QUEUE_REDIS_EVICTION, warns or calls `refuse`
 * when it may evict (an evicted job is a lost task); the entry point decides how to stop.
 */
export function guardQueueEviction(redis: RedisClient, mode: 'refuse' | 'warn', log: Logger, refuse: (message: string) => void): void {
  onEvictionPolicy(redis, (policy) => {
    const verdict = queueEvictionVerdict(policy, mode);
    if (verdict.level === 'warn') log.warn({ policy }, verdict.message);
    if (verdict.level !== 'refuse') return;
    log.fatal({ policy }, verdict.message);
    refuse(verdict.message);
  });
}
