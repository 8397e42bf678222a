import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { cacheLookups, createMetricsRegistry, modelLabeller, registerRedisClients } from '@trainyard/shared/metrics';
import type { TaskType } from '@trainyard/shared/tasks';
import type { ModelCacheStats } from './predict/model-cache.js';
import type { RedisClient } from '@trainyard/shared/platform';

/** How one attempt of a task ended. */
export type AttemptOutcome = 'success' | 'failure' | 'retry' | 'revoked' | 'expired';

export type WorkerMetrics = ReturnType<typeof createWorkerMetrics>;

/**
 * The worker's metrics. Labels stay few: task types, algorithms, outcomes, channels, and model
 * names only from METRICS_MODEL_LABELS (others count as "other").
 */
export function createWorkerMetrics(redis: RedisClient, modelLabels: readonly string[]) {
  const registry: Registry = createMetricsRegistry('worker');
  registerRedisClients(registry, redis);
  const modelLabel = modelLabeller(modelLabels);
  const attempts = new Histogram({
    name: 'trainyard_task_duration_seconds',
    help: 'Duration of task attempts by type, algorithm (trainings), model (allow-listed) and outcome',
    labelNames: ['type', 'algorithm', 'model', 'outcome'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800],
    registers: [registry],
  });
  const epochs = new Counter({
    name: 'trainyard_training_epochs_total',
    help: 'Training epochs run, by algorithm; rate() is epochs per second',
    labelNames: ['algorithm'],
    registers: [registry],
  });
  const deliveries = new Counter({
    name: 'trainyard_notification_deliveries_total',
    help: 'Notification delivery attempts by channel (email, webhook) and outcome (delivered, retry, failed)',
    labelNames: ['channel', 'outcome'],
    registers: [registry],
  });
  const evictions = new Counter({
    name: 'trainyard_model_cache_evictions_total',
    help: 'Loaded models evicted from the model cache to make room',
    registers: [registry],
  });
  let modelCache: (() => ModelCacheStats) | undefined;
  new Gauge({
    name: 'trainyard_model_cache_bytes',
    help: 'Weight bytes of the models loaded in the model cache',
    registers: [registry],
    collect() {
      if (modelCache) this.set(modelCache().bytes);
    },
  });
  new Gauge({
    name: 'trainyard_model_cache_models',
    help: 'Models loaded in the model cache',
    registers: [registry],
    collect() {
      if (modelCache) this.set(modelCache().models);
    },
  });

  return {
    registry,
    cacheLookups: cacheLookups(registry),
    attemptFinished(type: TaskType, data: { algorithm?: string; model?: string }, outcome: AttemptOutcome, seconds: number): void {
      attempts.observe({ type, algorithm: data.algorithm ?? '', model: data.model ? modelLabel(data.model) : '', outcome }, seconds);
    },
    epochsRun: (algorithm: string, count: number) => epochs.inc({ algorithm }, count),
    delivery: (channel: 'email' | 'webhook', outcome: 'delivered' | 'retry' | 'failed') => deliveries.inc({ channel, outcome }),
    modelEvicted: () => evictions.inc(),
    watchModelCache(stats: () => ModelCacheStats): void {
      modelCache = stats;
    },
  };
}
