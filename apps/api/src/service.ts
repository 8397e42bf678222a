import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { connectCacheRedis, guardQueueEviction, PredictionCache, SemanticIndex } from '@trainyard/shared/cache';
import { DatasetCatalog, seedBuiltInDatasets } from '@trainyard/shared/datasets';
import { chunkRetries, deadlineLimits, JobQueues, notifyRetries, taskRetries } from '@trainyard/shared/jobs';
import { ModelRegistry } from '@trainyard/shared/models';
import { TaskNotifications } from '@trainyard/shared/notify';
import { createLogger, createRedis, reportOutages, type Logger } from '@trainyard/shared/platform';
import { createObjectStore, s3OptionsFromEnv } from '@trainyard/shared/storage';
import { AnsweredTasks, TaskCancellation, TaskEventLog, TaskReader } from '@trainyard/shared/tasks';
import { createApp } from './app.js';
import type { ApiConfig } from './config.js';
import { Closing } from './http/closing.js';
import { blockingConnections } from './tasks/blocking-redis.js';
import { TaskCompletions } from './tasks/completions.js';

export interface ApiService {
  url: string;
  port: number;
  /**
   * Stops taking requests, answers waiting requests with their task as it stands, ends event streams
   * (clients resume elsewhere with Last-Event-ID), lets other requests finish, then closes every
   * connection.
   */
  stop(): Promise<void>;
}

export interface ApiHooks {
  log?: Logger;
  /** Called when the API must not go on (a queue Redis that may evict tasks); the entry point exits. */
  onFatal?: (reason: string) => void;
}

/** How long requests in flight may take to finish once the API stops. */
const drainMs = 10_000;

/** The API's parts, wired from its configuration: the composition root, free of process concerns. */
export async function startApi(config: ApiConfig, hooks: ApiHooks = {}): Promise<ApiService> {
  const log = hooks.log ?? createLogger('api', config.LOG_LEVEL);
  const redis = createRedis(config.REDIS_URL, { role: 'api', log, label: 'queue' });
  const cache = connectCacheRedis(config.CACHE_REDIS_URL, redis, log);
  if (cache.warning) log.warn(cache.warning);
  guardQueueEviction(redis, config.QUEUE_REDIS_EVICTION, log, (reason) => hooks.onFatal?.(reason));
  const store = createObjectStore(config.STORAGE_URL, s3OptionsFromEnv(config));
  const queues = new JobQueues(
    redis,
    config.QUEUE_PREFIX,
    // batch-chunks too, though only workers add to it: the board shows every queue.
    { train: taskRetries(config), predict: taskRetries(config), batch: taskRetries(config), 'batch-chunks': chunkRetries(config), notify: notifyRetries(config) },
    reportOutages(redis, log, 'queue'),
  );
  const events = new TaskEventLog(redis, config.QUEUE_PREFIX, config.TASK_RETENTION_S);
  const cancels = new TaskCancellation(redis, config.QUEUE_PREFIX, config.TASK_RETENTION_S);
  const answered = new AnsweredTasks(redis, config.QUEUE_PREFIX, config.TASK_RETENTION_S);

  // Built-in samples are usable from the first request, whichever process started first.
  await seedBuiltInDatasets(store).catch((error: unknown) => log.warn({ err: error }, 'built-in datasets not stored yet'));

  const followers = blockingConnections(config.REDIS_URL, `${config.QUEUE_PREFIX}-task-follower`);
  const completions = new TaskCompletions(redis, queues, followers, log);
  const closing = new Closing();
  const ttl = config.PREDICT_CACHE_TTL;
  const app = createApp({
    log,
    redis,
    store,
    queues,
    registry: new ModelRegistry(redis, store, config.QUEUE_PREFIX),
    events,
    tasks: new TaskReader(redis, queues, events, cancels, answered),
    answered,
    cacheOnQueueRedis: cache.redis === redis,
    predictions: new PredictionCache(cache.redis, config.QUEUE_PREFIX, ttl),
    embeddings: new PredictionCache<number[]>(cache.redis, config.QUEUE_PREFIX, ttl, 'embed'),
    // The API only drops semantic indexes; workers fill them.
    semantic: new SemanticIndex(cache.redis, config.QUEUE_PREFIX, ttl),
    notifications: new TaskNotifications(queues, events),
    followers,
    completions,
    closing,
    heartbeatMs: config.EVENTS_HEARTBEAT_MS,
    webhookAllowHosts: config.WEBHOOK_ALLOW_HOSTS,
    deadlines: deadlineLimits(config),
    cancels,
    retentionSeconds: config.TASK_RETENTION_S,
    bodyLimit: config.BODY_LIMIT,
    datasets: new DatasetCatalog(store),
    datasetMaxBytes: config.DATASET_MAX_BYTES,
    board: config.BOARD_USER && config.BOARD_PASSWORD ? { user: config.BOARD_USER, password: config.BOARD_PASSWORD } : undefined,
  });

  const server = app.listen(config.PORT);
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  log.info({ port }, 'api listening');

  let stopped: Promise<void> | undefined;
  const stop = async () => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    closing.close();
    // Keep-alive connections go as soon as their last response is out; none outlives drainMs.
    const idle = setInterval(() => server.closeIdleConnections(), 20);
    const cut = setTimeout(() => server.closeAllConnections(), drainMs);
    await closed;
    clearInterval(idle);
    clearTimeout(cut);
    await queues.close().catch(() => {});
    completions.close();
    followers.close();
    redis.disconnect();
    cache.redis.disconnect();
    log.info('stopped');
  };
  return { url: `http://127.0.0.1:${port}`, port, stop: () => (stopped ??= stop()) };
}
