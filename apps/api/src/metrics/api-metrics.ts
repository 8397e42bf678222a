import type { Queue } from 'bullmq';
import type { RequestHandler } from 'express';
import { Counter, Histogram, type Registry } from 'prom-client';
import { cacheLookups, createMetricsRegistry, registerQueueDepth, registerRedisClients } from '@trainyard/shared/metrics';
import { routeOf } from '../http/request-facts.js';
import type { RedisClient } from '@trainyard/shared/platform';

export interface ApiMetrics {
  registry: Registry;
  /** Exact and embedding cache lookups of predict and embed requests. */
  cacheLookups: ReturnType<typeof cacheLookups>;
  /** Times every request, labelled by route template (never the path itself: no task ids in labels). */
  measureRequests: RequestHandler;
  /** Task reads with a replica configured, by the server that answered. */
  taskReads: Counter<'server'>;
}

export function createApiMetrics(queues: readonly Queue[], redis: RedisClient): ApiMetrics {
  const registry = createMetricsRegistry('api');
  registerQueueDepth(registry, queues);
  registerRedisClients(registry, redis);
  const durations = new Histogram({
    name: 'trainyard_http_request_duration_seconds',
    help: 'HTTP request durations by method, route template and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 60],
    registers: [registry],
  });
  const measureRequests: RequestHandler = (req, res, next) => {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      durations.observe({ method: req.method, route: routeOf(req), status: String(res.statusCode) }, seconds);
    });
    next();
  };
  const taskReads = new Counter({
    name: 'trainyard_api_task_reads_total',
    help: 'Task reads routed with REDIS_READ_URL set, by the server that answered: replica, or primary when the replica lacked the task or lagged behind the client',
    labelNames: ['server'],
    registers: [registry],
  });
  return { registry, cacheLookups: cacheLookups(registry), measureRequests, taskReads };
}
