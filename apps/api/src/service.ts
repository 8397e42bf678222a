import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectCacheRedis, guardQueueEviction, PredictionCache, SemanticIndex } from '@trainyard/shared/cache';
import { DatasetCatalog, seedBuiltInDatasets } from '@trainyard/shared/datasets';
import { AnswerOrAdmit, chunkRetries, deadlineLimits, JobQueues, notifyRetries, retiredShards, shardRange, TaskBacklog, TaskIndex, taskRetries } from '@trainyard/shared/jobs';
import { startMetricsServer } from '@trainyard/shared/metrics';
import { KnownModels, ModelRegistry, RolloutStats } from '@trainyard/shared/models';
import { TaskNotifications } from '@trainyard/shared/notify';
import { ChangeFeed, coalesceWrites, createLogger, createRedis, defaultTenant, duplicateRedis, reportOutages, type Logger, type RedisClient } from '@trainyard/shared/platform';
import { createObjectStore, s3OptionsFromEnv } from '@trainyard/shared/storage';
import { startTracing, tracedStore } from '@trainyard/shared/tracing';
import { AnsweredTasks, TaskCancellation, TaskEventLog, TaskReader, TaskRetries } from '@trainyard/shared/tasks';
import { AuditLog } from './admin/audit.js';
import { createApp } from './app.js';
import { builtConsole } from './console/router.js';
import { ReplicaReads } from './reads/replica-reads.js';
import type { ReadTaskDeps } from './tasks/read-task.js';
import { Access } from './auth/access.js';
import { ApiKeyStore } from './auth/api-keys.js';
import { Authenticator } from './auth/authenticator.js';
import type { ApiConfig } from './config.js';
import { Closing } from './http/closing.js';
import { createApiMetrics } from './metrics/api-metrics.js';
import { RateLimits } from './limits/rate-limits.js';
import { CachedRolloutCounts } from './predict/cached-rollout-counts.js';
import { Idempotency } from './tasks/idempotency.js';
import { TaskFollower } from './tasks/task-follower.js';
import { blockingConnections } from './tasks/blocking-redis.js';
import { TaskCompletions } from './tasks/completions.js';
import { replicaConfirmation } from './tasks/replica-confirmation.js';

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
  coalesceWrites(redis);
  const cache = connectCacheRedis(config.CACHE_REDIS_URL, redis, log);
  if (cache.warning) log.warn(cache.warning);
  guardQueueEviction(redis, config.QUEUE_REDIS_EVICTION, log, (reason) => hooks.onFatal?.(reason));
  const tracing = await startTracing('trainyard-api', config.OTEL_EXPORTER_OTLP_ENDPOINT);
  const store = tracedStore(createObjectStore(config.STORAGE_URL, s3OptionsFromEnv(config)), tracing);
  const queues = new JobQueues(
    redis,
    config.QUEUE_PREFIX,
    // batch-chunks too, though only workers add to it: the board shows every queue.
    { train: taskRetries(config), predict: taskRetries(config), batch: taskRetries(config), 'batch-chunks': chunkRetries(config), notify: notifyRetries(config) },
    reportOutages(redis, log, 'queue'),
    tracing.bullmq,
    config.QUEUE_SHARDS,
  );
  const events = new TaskEventLog(redis, config.QUEUE_PREFIX, config.TASK_RETENTION_S);
  const cancels = new TaskCancellation(redis, config.QUEUE_PREFIX, config.TASK_RETENTION_S);
  const answered = new AnsweredTasks(redis, config.QUEUE_PREFIX, config.TASK_RETENTION_S);
  const retries = new TaskRetries(redis, config.QUEUE_PREFIX, config.TASK_RETENTION_S);

  // Built-in samples are usable from the first request, whichever process started first.
  await seedBuiltInDatasets(store).catch((error: unknown) => log.warn({ err: error }, 'built-in datasets not stored yet'));

  await untilReady(redis);
  const retired = await lookForRetiredShards(redis, config, log);
  queues.openShards(retired);
  const keys = new ApiKeyStore(redis, config.QUEUE_PREFIX);
  // Revoked keys and changed models reach this process here. A subscriber waits for its connection
  // (and subscribes again after a reconnect) rather than failing fast.
  const subscriber = duplicateRedis(redis, { enableOfflineQueue: true, maxRetriesPerRequest: null, commandTimeout: undefined });
  reportOutages(subscriber, log, 'change feed');
  const feed = new ChangeFeed(subscriber);
  const authenticator = config.AUTH === 'on' ? await startAuthentication(config, keys, redis, feed, log) : null;
  if (!authenticator) log.warn('AUTH=off: every request is tenant "default" with every scope; listening on loopback only');
  // Budgets are per key: without authentication there is none to count for.
  const rateLimits =
    authenticator &&
    new RateLimits(redis, config.QUEUE_PREFIX, { windowSeconds: config.RATE_LIMIT_WINDOW_S, submit: config.RATE_LIMIT_SUBMITS, read: config.RATE_LIMIT_READS });
  // One blocking connection for every event stream of this process (per queue shard on a cluster), named for CLIENT LIST.
  const followerConnection = () =>
    createRedis(config.REDIS_URL, { role: 'api', log, label: 'task follower' }, {
      connectionName: `${config.QUEUE_PREFIX}-task-follower`,
      lazyConnect: true,
      commandTimeout: undefined,
    });
  const followers = new TaskFollower(events, followerConnection, redis, { perKey: config.FOLLOW_MAX_PER_KEY, perProcess: config.FOLLOW_MAX_PER_PROCESS });
  // Waits follow their job's end on each task queue's event stream: a blocking connection per queue.
  const completions = new TaskCompletions(redis, queues, blockingConnections(config.REDIS_URL, `${config.QUEUE_PREFIX}-task-completions`), log);
  const closing = new Closing();
  const ttl = config.PREDICT_CACHE_TTL;
  const notifications = new TaskNotifications(queues, events);
  const taskReads: ReadTaskDeps = {
    queues,
    tasks: new TaskReader(redis, queues, events, cancels, answered, retries),
    events,
    notifications,
    cancels,
    retentionSeconds: config.TASK_RETENTION_S,
  };
  const replica = config.REDIS_READ_URL ? createRedis(config.REDIS_READ_URL, { role: 'api', log, label: 'read replica' }) : null;
  const metrics = createApiMetrics(queues.all(), redis);
  const rollouts = new RolloutStats(redis, config.QUEUE_PREFIX);
  const cachedRollouts = new CachedRolloutCounts(rollouts, log);
  const consoleDir = builtConsole(config.CONSOLE_DIR);
  if (!consoleDir) log.info({ dir: config.CONSOLE_DIR }, 'the web console is not built there: / is not served');
  const app = createApp({
    log,
    metrics,
    tracing,
    redis,
    store,
    queues,
    registry: new ModelRegistry(redis, store, config.QUEUE_PREFIX, defaultTenant, await KnownModels.follow(feed, config.QUEUE_PREFIX)),
    rollouts,
    cachedRollouts,
    shadowMaxBacklog: config.SHADOW_MAX_BACKLOG,
    events,
    tasks: taskReads.tasks,
    reads: new ReplicaReads({ redis, deps: taskReads }, replica && { redis: replica, deps: replicaReads(replica, taskReads, config) }, (server) =>
      metrics.taskReads.inc({ server }),
    ),
    retries,
    taskIndex: new TaskIndex(redis, config.QUEUE_PREFIX, [...shardRange(config.QUEUE_SHARDS), ...retired]),
    answered,
    cacheOnQueueRedis: cache.redis === redis,
    predictions: new PredictionCache(cache.redis, config.QUEUE_PREFIX, ttl),
    embeddings: new PredictionCache<number[]>(cache.redis, config.QUEUE_PREFIX, ttl, 'embed'),
    // The API only drops semantic indexes; workers fill them.
    semantic: new SemanticIndex(cache.redis, config.QUEUE_PREFIX, ttl),
    notifications,
    followers,
    completions,
    closing,
    keys,
    authenticator,
    access: new Access(rateLimits),
    audit: new AuditLog(redis, config.QUEUE_PREFIX, config.AUDIT_MAX_ENTRIES, log),
    idempotency: new Idempotency(redis, config.QUEUE_PREFIX, config.IDEMPOTENCY_TTL_S),
    answerOrAdmit: new AnswerOrAdmit(redis),
    backlog: new TaskBacklog(redis, config.QUEUE_PREFIX, { retentionSeconds: config.TASK_RETENTION_S, retentionCount: config.TASK_RETENTION_COUNT }, config.QUEUE_SHARDS),
    tenantMaxTasks: config.TENANT_MAX_TASKS,
    ...(config.SUBMIT_DURABILITY === 'replicated' ? { replicated: replicaConfirmation(redis, config.SUBMIT_REPLICA_WAIT_MS) } : {}),
    tenantMaxDatasetBytes: config.TENANT_MAX_DATASET_BYTES,
    trainingCaps: {
      maxEpochs: config.TRAIN_MAX_EPOCHS,
      maxLayers: config.TRAIN_MAX_LAYERS,
      maxUnits: config.TRAIN_MAX_UNITS,
      maxCells: config.TRAIN_MAX_CELLS,
      minBatchSize: config.TRAIN_MIN_BATCH_SIZE,
    },
    heartbeatMs: config.EVENTS_HEARTBEAT_MS,
    webhookAllowHosts: config.WEBHOOK_ALLOW_HOSTS,
    deadlines: deadlineLimits(config),
    cancels,
    retentionSeconds: config.TASK_RETENTION_S,
    bodyLimit: config.BODY_LIMIT,
    datasets: new DatasetCatalog(store),
    datasetMaxBytes: config.DATASET_MAX_BYTES,
    inferWaitSeconds: config.INFER_WAIT_S,
    consoleDir,
    board: {
      ...(config.BOARD_USER && config.BOARD_PASSWORD ? { credentials: { user: config.BOARD_USER, password: config.BOARD_PASSWORD } } : {}),
      readOnly: config.BOARD_READ_ONLY,
    },
  });

  const server = config.HOST === undefined ? app.listen(config.PORT) : app.listen(config.PORT, config.HOST);
  await once(server, 'listening');
  const { port, address } = server.address() as AddressInfo;
  log.info({ port, address }, 'api listening');
  const metricsServer = config.METRICS_PORT === undefined ? undefined : await startMetricsServer(metrics.registry, config.METRICS_PORT, config.METRICS_HOST);
  if (metricsServer) log.info({ url: metricsServer.url }, 'metrics listening');

  let stopped: Promise<void> | undefined;
  const stop = async () => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    closing.close();
    // Keep-alive connections go as soon as their last response is out; none outlives drainMs.
    const idle = setInterval(() => server.closeIdleConnections(), 20);
    const cut = setTimeout(() => server.closeAllConnections(), drainMs);
    await Promise.all([closed, metricsServer?.close()]);
    clearInterval(idle);
    clearTimeout(cut);
    await cachedRollouts.close();
    await queues.close().catch(() => {});
    completions.close();
    followers.close();
    feed.close();
    redis.disconnect();
    replica?.disconnect();
    cache.redis.disconnect();
    await tracing.shutdown();
    log.info('stopped');
  };
  return { url: `http://127.0.0.1:${port}`, port, stop: () => (stopped ??= stop()) };
}

/**
 * The task reads' dependencies on a replica: the task script and event log read there. Notification
 * statuses stay on the primary (BullMQ's state script is not flagged for replicas; only finished tasks
 * that asked for a notification read them).
 */
function replicaReads(replica: RedisClient, primary: ReadTaskDeps, config: ApiConfig): ReadTaskDeps {
  const events = new TaskEventLog(replica, config.QUEUE_PREFIX, config.TASK_RETENTION_S);
  const answered = new AnsweredTasks(replica, config.QUEUE_PREFIX, config.TASK_RETENTION_S);
  const retries = new TaskRetries(replica, config.QUEUE_PREFIX, config.TASK_RETENTION_S);
  return { ...primary, events, tasks: new TaskReader(replica, primary.queues, events, primary.cancels, answered, retries) };
}

/** Verifies keys from the first request on; creates the bootstrap key when it is set and new. */
async function startAuthentication(config: ApiConfig, keys: ApiKeyStore, redis: RedisClient, feed: ChangeFeed, log: Logger): Promise<Authenticator> {
  if (config.BOOTSTRAP_API_KEY) await keepBootstrapKey(config.BOOTSTRAP_API_KEY, keys, redis, log);
  return Authenticator.start(keys, feed, log);
}

/**
 * Stores the bootstrap key now and whenever the Redis connection becomes ready again (a Redis that
 * lost its data gets it back), so the key works from the first request on.
 */
async function keepBootstrapKey(key: string, keys: ApiKeyStore, redis: RedisClient, log: Logger): Promise<void> {
  const store = () =>
    keys
      .bootstrap(key)
      .then((outcome) => {
        if (outcome === 'created') log.info('BOOTSTRAP_API_KEY stored: an admin key of tenant "default"');
        if (outcome === 'revoked') log.warn('BOOTSTRAP_API_KEY was revoked and stays revoked; create keys with npm run keys or POST /v1/admin/keys');
      })
      .catch((error: unknown) => log.warn({ err: error }, 'BOOTSTRAP_API_KEY not stored yet'));
  redis.on('ready', () => void store());
  if (redis.status === 'ready') await store();
}

/**
 * The shards beyond QUEUE_SHARDS that still hold tasks, listed and shown beside the others until a
 * restart finds them empty. Their tasks read by id in any case, so a start without Redis, or one
 * whose look fails three times, goes on without them.
 */
async function lookForRetiredShards(redis: RedisClient, config: ApiConfig, log: Logger): Promise<number[]> {
  const skipped = 'shards beyond QUEUE_SHARDS that still hold tasks are not listed until a restart';
  if (redis.status !== 'ready') {
    log.warn(`Redis not ready at start: ${skipped}`);
    return [];
  }
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      const retired = await retiredShards(redis, config.QUEUE_PREFIX, config.QUEUE_SHARDS);
      if (retired.length) log.info({ shards: retired }, 'shards beyond QUEUE_SHARDS still hold tasks: listed and on Bull Board until a restart finds them empty');
      return retired;
    } catch (error) {
      if (attempt === 3) log.warn({ err: error }, `could not look for retired queue shards: ${skipped}`);
      else await sleep(500 * attempt);
    }
  }
  return [];
}

/** How long the start waits for Redis before listening anyway (requests answer 503 until it comes). */
const redisWaitMs = 5_000;

async function untilReady(redis: RedisClient): Promise<void> {
  if (redis.status === 'ready') return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([once(redis, 'ready'), new Promise((resolve) => (timer = setTimeout(resolve, redisWaitMs)))]);
  clearTimeout(timer);
}
