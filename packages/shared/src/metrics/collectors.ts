import type { Queue } from 'bullmq';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { CacheTier } from './registry.js';
import type { RedisClient } from '../platform/redis.js';

/** The states a task can wait or end in, as BullMQ counts them. */
const jobStates = ['waiting', 'prioritized', 'delayed', 'active', 'completed', 'failed'] as const;

/** Jobs per queue and state, read from Redis at each scrape (every replica sees the same queues); a sharded queue's shards add up. */
export function registerQueueDepth(registry: Registry, queues: readonly Queue[]): void {
  new Gauge({
    name: 'trainyard_queue_jobs',
    help: 'Jobs in each queue by state, at scrape time',
    labelNames: ['queue', 'state'],
    registers: [registry],
    async collect() {
      // Redis away: no figure rather than a stale one, and the rest of the scrape still answers.
      this.reset();
      const counts = await Promise.all(queues.map(async (queue) => [queue.name, await queue.getJobCounts(...jobStates)] as const)).catch(() => []);
      for (const [queue, byState] of counts) for (const state of jobStates) this.inc({ queue, state }, byState[state] ?? 0);
    },
  });
}

/** Connections the queue Redis serves (INFO clients), at each scrape: all replicas' and BullMQ's together. */
export function registerRedisClients(registry: Registry, redis: RedisClient): void {
  new Gauge({
    name: 'trainyard_redis_connected_clients',
    help: 'Client connections of the queue Redis, at scrape time',
    registers: [registry],
    async collect() {
      this.reset();
      const info = await redis.info('clients').catch(() => '');
      const connected = /^connected_clients:(\d+)/m.exec(info);
      if (connected) this.set(Number(connected[1]));
    },
  });
}

/** Cache lookups by tier and result. */
export function cacheLookups(registry: Registry): { record(tier: CacheTier, hit: boolean, count?: number): void } {
  const counter = new Counter({
    name: 'trainyard_cache_lookups_total',
    help: 'Cache lookups by tier (exact, semantic, embedding) and result (hit, miss)',
    labelNames: ['tier', 'result'],
    registers: [registry],
  });
  return { record: (tier, hit, count = 1) => counter.inc({ tier, result: hit ? 'hit' : 'miss' }, count) };
}
