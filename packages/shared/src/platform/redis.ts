import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { Logger } from './logger.js';
import { hashSlot, parseRedisUrl } from './redis-url.js';

/** One Redis server or a Redis Cluster: both run the same commands, scripts and pipelines. */
export type RedisClient = Redis | Cluster;

export interface RedisRole {
  /**
   * api: fails fast — with Redis down a command rejects at once (→ 503) instead of waiting in an
   * in-memory offline queue. worker: waits and retries forever, as BullMQ requires for blocking commands.
   */
  role: 'api' | 'worker';
  log: Logger;
  /** Names the connection in logs: "queue", "cache", "cancel subscriber". */
  label: string;
}

export function createRedis(url: string, { role, log, label }: RedisRole, extra: RedisOptions = {}): RedisClient {
  const options: RedisOptions =
    role === 'api'
      ? { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2_000, commandTimeout: 2_000 }
      : { maxRetriesPerRequest: null };
  const redis = connectRedis(url, { ...options, retryStrategy: (times) => Math.min(times * 200, 2_000), ...extra });
  reportOutages(redis, log, label);
  return redis;
}

/**
 * A connection to a server's URL or to a cluster's nodes (see parseRedisUrl), with the same options:
 * on a cluster they apply to every node's connection, and the offline queue, retries and lazy
 * connect to the cluster as a whole.
 */
export function connectRedis(url: string, options: RedisOptions = {}): RedisClient {
  const target = parseRedisUrl(url);
  if (target.kind === 'single') return new Redis(url, options);
  const { retryStrategy, enableOfflineQueue, lazyConnect, readOnly: _readOnly, ...perNode } = options;
  return new Cluster(target.nodes, {
    ...(retryStrategy ? { clusterRetryStrategy: retryStrategy } : {}),
    ...(enableOfflineQueue === undefined ? {} : { enableOfflineQueue }),
    ...(lazyConnect === undefined ? {} : { lazyConnect }),
    // A promoted replica takes over the slots within the cluster's node timeout: retry until then.
    retryDelayOnFailover: 200,
    retryDelayOnClusterDown: 200,
    redisOptions: {
      ...perNode,
      ...(target.username ? { username: target.username } : {}),
      ...(target.password ? { password: target.password } : {}),
      ...(target.tls ? { tls: {} } : {}),
    },
  });
}

/** Another connection like `redis` (e.g. for a subscriber), with some options changed. */
export function duplicateRedis(redis: RedisClient, options: RedisOptions = {}): RedisClient {
  if (redis instanceof Redis) return redis.duplicate(options);
  const { enableOfflineQueue, ...perNode } = options;
  return redis.duplicate(undefined, {
    ...(enableOfflineQueue === undefined ? {} : { enableOfflineQueue }),
    redisOptions: { ...redis.options.redisOptions, ...perNode },
  });
}

/**
 * The server that holds `key`: the connection itself, or on a cluster its connection to the master
 * of the key's slot, for the commands that concern a server rather than a key (CLIENT ID, CLIENT
 * UNBLOCK, WAIT). Undefined while a cluster does not know the slot's master.
 */
export function serverOf(redis: RedisClient, key: string): Redis | undefined {
  if (redis instanceof Redis) return redis;
  const master = redis.slots[hashSlot(key)]?.[0];
  return redis.nodes('master').find((node) => `${node.options.host}:${node.options.port}` === master);
}

const reporters = new WeakMap<RedisClient, (error?: Error) => void>();

/**
 * Logs an outage of a connection once when it starts and once when it ends; reconnection itself is
 * automatic. Returns the listener for the same outage as the clients sharing the connection see it
 * (BullMQ queues re-emit its errors), so they add no lines of their own; asking again for a
 * connection already reported on returns that same listener.
 */
export function reportOutages(redis: RedisClient, log: Logger, label: string): (error?: Error) => void {
  const known = reporters.get(redis);
  if (known) return known;
  let downSince: number | null = null;
  const failed = (error?: Error) => {
    if (downSince !== null) return;
    downSince = Date.now();
    log.warn({ ...(error ? { err: error } : {}), redis: label }, `Redis (${label}) unreachable; reconnecting`);
  };
  redis.on('error', failed);
  // A server that goes away may raise no error at all: a connection that has to reconnect is down.
  redis.on('reconnecting', () => failed());
  redis.on('ready', () => {
    if (downSince === null) return;
    log.info({ redis: label, down_ms: Date.now() - downSince }, `Redis (${label}) reachable again`);
    downSince = null;
  });
  reporters.set(redis, failed);
  return failed;
}

/**
 * The messages ioredis rejects a command with when it never reached the server or got no answer
 * (it has no error classes for them: lib/Command.ts, lib/Redis.ts).
 */
const unreachableMessages = new Set([
  'Command timed out',
  "Stream isn't writeable and enableOfflineQueue options is false",
  'Connection is closed.',
  // A cluster's: no node answered, or the slots' masters are changing (a failover).
  "Cluster isn't ready and enableOfflineQueue options is false",
  'Failed to refresh slots cache.',
  'Too many Cluster redirections.',
  'CLUSTERDOWN The cluster is down',
]);

/** True when an error is a connection's failure to reach Redis rather than Redis' answer or a bug. */
export function isUnreachable(error: unknown, connection: RedisClient): boolean {
  if (connection.status !== 'ready') return true;
  if (!(error instanceof Error)) return false;
  return error.name === 'MaxRetriesPerRequestError' || unreachableMessages.has(error.message);
}

/** Refuse a queue Redis that may evict keys: an evicted job is a lost task. */
export async function evictionPolicy(redis: RedisClient): Promise<string> {
  const reply = (await redis.config('GET', 'maxmemory-policy')) as string[];
  return reply[1] ?? 'unknown';
}

type ScriptCall = (...args: (string | number)[]) => Promise<unknown>;

/**
 * A Lua script as one command: ioredis sends it by SHA once Redis knows it (defineCommand). On a
 * hot path, one command instead of several saves client CPU as much as round trips.
 * Without numberOfKeys, the first argument of each call is the number of keys.
 */
export function redisScript(redis: RedisClient, name: string, lua: string, numberOfKeys?: number): ScriptCall {
  if (!(name in redis)) redis.defineCommand(name, numberOfKeys === undefined ? { lua } : { lua, numberOfKeys });
  return (...args) => (redis as unknown as Record<string, ScriptCall>)[name]!(...args);
}
