import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { DatasetCatalog } from '@trainyard/shared/dataset-catalog';
import { seedBuiltInDatasets } from '@trainyard/shared/datasets';
import { deadlineLimits } from '@trainyard/shared/deadlines';
import { PredictionCache } from '@trainyard/shared/cache-predictions';
import { SemanticIndex } from '@trainyard/shared/cache-semantic';
import { connectCacheRedis, guardQueueEviction } from '@trainyard/shared/cache-redis';
import { configOrExit } from '@trainyard/shared/env';
import { createLogger } from '@trainyard/shared/logger';
import { ModelRegistry } from '@trainyard/shared/model-registry';
import { notifyQueueOptions, TaskNotifications } from '@trainyard/shared/notify-queue';
import { createRedis } from '@trainyard/shared/redis';
import { createObjectStore, s3OptionsFromEnv } from '@trainyard/shared/storage';
import { TaskCancellation } from '@trainyard/shared/task-control';
import { TaskEventLog } from '@trainyard/shared/task-events';
import { createApp } from './app.js';
import { loadConfig } from './config.js';
import { blockingConnections } from './tasks/blocking-redis.js';
import { closeTaskQueues, createTaskQueues } from './tasks/task-queues.js';

const config = configOrExit('api', () => loadConfig(process.env));
const log = createLogger('api', config.LOG_LEVEL);
const redis = createRedis(config.REDIS_URL, 'api');
const cache = connectCacheRedis(config.CACHE_REDIS_URL, redis);
if (cache.warning) log.warn(cache.warning);
guardQueueEviction(redis, config.QUEUE_REDIS_EVICTION, log);
const store = createObjectStore(config.STORAGE_URL, s3OptionsFromEnv(config));
const queues = createTaskQueues(redis, {
  prefix: config.QUEUE_PREFIX,
  attempts: config.TASK_ATTEMPTS,
  backoffMs: config.TASK_BACKOFF_MS,
  retentionSeconds: config.TASK_RETENTION_S,
  retentionCount: config.TASK_RETENTION_COUNT,
});
const events = new TaskEventLog(redis, config.QUEUE_PREFIX, config.TASK_RETENTION_S);
const notifications = new TaskNotifications(redis, events, notifyQueueOptions(config));

// Built-in samples are usable from the first request, whichever process started first.
await seedBuiltInDatasets(store).catch((error: unknown) => log.warn({ err: error }, 'built-in datasets not stored yet'));

const followers = blockingConnections(config.REDIS_URL, `${config.QUEUE_PREFIX}-task-follower`);

const app = createApp({
  log,
  redis,
  store,
  queues,
  registry: new ModelRegistry(redis, store, config.QUEUE_PREFIX),
  events,
  predictions: new PredictionCache(cache.redis, config.QUEUE_PREFIX, config.PREDICT_CACHE_TTL),
  embeddings: new PredictionCache<number[]>(cache.redis, config.QUEUE_PREFIX, config.PREDICT_CACHE_TTL, 'embed'),
  // The API only drops semantic indexes; workers fill them.
  semantic: new SemanticIndex(cache.redis, config.QUEUE_PREFIX, config.PREDICT_CACHE_TTL),
  notifications,
  followers,
  heartbeatMs: config.EVENTS_HEARTBEAT_MS,
  webhookAllowHosts: config.WEBHOOK_ALLOW_HOSTS,
  deadlines: deadlineLimits(config),
  cancels: new TaskCancellation(redis, config.QUEUE_PREFIX, config.TASK_RETENTION_S),
  retentionSeconds: config.TASK_RETENTION_S,
  bodyLimit: config.BODY_LIMIT,
  datasets: new DatasetCatalog(store),
  datasetMaxBytes: config.DATASET_MAX_BYTES,
  board: config.BOARD_USER && config.BOARD_PASSWORD ? { user: config.BOARD_USER, password: config.BOARD_PASSWORD } : undefined,
});

const server = app.listen(config.PORT);
await once(server, 'listening');
log.info({ port: (server.address() as AddressInfo).port }, 'api listening');

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'shutting down');
  server.close();
  server.closeIdleConnections();
  await Promise.all([closeTaskQueues(queues), notifications.close()]).catch(() => {});
  followers.close();
  redis.disconnect();
  cache.redis.disconnect();
  process.exit(0);
}

process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('unhandledRejection', (reason) => log.error({ err: reason }, 'unhandled rejection'));
