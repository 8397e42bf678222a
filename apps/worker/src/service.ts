import { setTimeout as sleep } from 'node:timers/promises';
import { cachedRowsOp, connectCacheRedis, cacheEvictionVerdict, guardQueueEviction, onEvictionPolicy, PredictionCache, SemanticIndex } from '@trainyard/shared/cache';
import { seedBuiltInDatasets } from '@trainyard/shared/datasets';
import { startMetricsServer } from '@trainyard/shared/metrics';
import { chunkRetries, JobQueues, leaveBacklogOp, notifyRetries, retiredShards, shardRange, TaskBacklog, type QueueName } from '@trainyard/shared/jobs';
import { ModelRegistry, rolloutRecordOp, RolloutStats } from '@trainyard/shared/models';
import { TaskNotifications } from '@trainyard/shared/notify';
import { coalesceWrites, createLogger, createRedis, duplicateRedis, keysExistOp, RedisBatch, reportOutages, shardPrefix, type Logger } from '@trainyard/shared/platform';
import { createObjectStore, s3OptionsFromEnv } from '@trainyard/shared/storage';
import { startTracing, tracedStore } from '@trainyard/shared/tracing';
import { TaskCancellation, TaskEventLog, taskEventOps } from '@trainyard/shared/tasks';
import { ChunkLedger } from './batch/chunk-ledger.js';
import type { WorkerConfig } from './config.js';
import { createWorkerMetrics } from './metrics.js';
import type { Mailer } from './notify/mailer.js';
import { logModelCacheStats } from './predict/model-cache-stats.js';
import { TaskBookkeeping } from './tasks/bookkeeping.js';
import { TaskControl } from './tasks/control.js';
import { workerName } from './tasks/identity.js';
import { FinalStatusRecorder } from './tasks/record-final.js';
import { Slots } from './tasks/slots.js';
import { createTaskWorker, type TaskWorkerOptions } from './tasks/worker.js';
import type { TrainingPool } from './train/training-pool.js';

export interface WorkerService {
  name: string;
  /**
   * Stops taking tasks, gives active ones SHUTDOWN_TIMEOUT_S to finish, then closes every
   * connection: a task still running is not lost, its lock lapses and another worker takes it over.
   */
  stop(): Promise<void>;
}

export interface WorkerHooks {
  log?: Logger;
  /** Called when the worker must not go on (a queue Redis that may evict tasks); the entry point exits. */
  onFatal?: (reason: string) => void;
}

/** The worker process's parts, wired from its configuration: the composition root, free of process concerns. */
export async function startWorker(config: WorkerConfig, hooks: WorkerHooks = {}): Promise<WorkerService> {
  const log = hooks.log ?? createLogger('worker', config.LOG_LEVEL);
  const redis = createRedis(config.REDIS_URL, { role: 'worker', log, label: 'queue' });
  // A task's outcome batch and BullMQ's completion of its job, which follows it through promises,
  // leave in one socket write (a write costs more CPU than the commands it carries), without the
  // extra turn of the event loop that waiting for the turn's other callbacks costs a lone task.
  coalesceWrites(redis, 'callback');
  const storage = { url: config.STORAGE_URL, s3: s3OptionsFromEnv(config) };
  const tracing = await startTracing('trainyard-worker', config.OTEL_EXPORTER_OTLP_ENDPOINT);
  const store = tracedStore(createObjectStore(storage.url, storage.s3), tracing);
  const events = new TaskEventLog(redis, config.QUEUE_PREFIX, config.TASK_RETENTION_S);
  // Workers add notifications, and batches add their chunks.
  const queues = new JobQueues(
    redis,
    config.QUEUE_PREFIX,
    { notify: notifyRetries(config), 'batch-chunks': chunkRetries(config) },
    reportOutages(redis, log, 'queue'),
    tracing.bullmq,
  );
  const notifications = new TaskNotifications(queues, events);
  const metrics = createWorkerMetrics(redis, config.METRICS_MODEL_LABELS);

  const cache = connectCacheRedis(config.CACHE_REDIS_URL, redis, log);
  if (cache.warning) {
    log.warn(cache.warning);
  } else {
    onEvictionPolicy(cache.redis, (policy) => {
      const verdict = cacheEvictionVerdict(policy);
      if (verdict.level !== 'ok') log.warn({ policy }, verdict.message);
    });
  }
  guardQueueEviction(redis, config.QUEUE_REDIS_EVICTION, log, (reason) => hooks.onFatal?.(reason));
  await seedBuiltInDatasets(store);

  const cancels = new TaskCancellation(redis, config.QUEUE_PREFIX, config.TASK_RETENTION_S);
  const subscriber = duplicateRedis(redis);
  reportOutages(subscriber, log, 'cancel subscriber');
  const control = await TaskControl.start(subscriber, cancels, log);
  // Unless named, every shard of QUEUE_SHARDS, and those it dropped until they are drained.
  const shards = config.WORKER_SHARDS ?? [...shardRange(config.QUEUE_SHARDS), ...(await retiredShards(redis, config.QUEUE_PREFIX, config.QUEUE_SHARDS))];
  const backlog = new TaskBacklog(redis, config.QUEUE_PREFIX, { retentionSeconds: config.TASK_RETENTION_S, retentionCount: config.TASK_RETENTION_COUNT }, config.QUEUE_SHARDS);
  // One batch for every write of the task runtime, and of the caches when they share the queue Redis.
  const writes = new RedisBatch(redis, [...taskEventOps, keysExistOp, cachedRowsOp, leaveBacklogOp, rolloutRecordOp]);
  const bookkeeping = new TaskBookkeeping(writes, events, cancels, log);
  const trains = config.WORKER_QUEUES.includes('train');
  // Only a worker that trains imports the checkpoint code; any training it finishes may hold one.
  const discardCheckpoint = trains ? (await import('./train/checkpoints.js')).checkpointDiscarder(store, log) : undefined;
  const runtime = { bookkeeping, control, final: new FinalStatusRecorder(bookkeeping, backlog, notifications, discardCheckpoint), observe: metrics.attemptFinished };
  const taskWorker = (concurrency: number, shard = 0): TaskWorkerOptions => ({
    connection: redis,
    prefix: shardPrefix(config.QUEUE_PREFIX, shard),
    concurrency,
    runtime,
    log,
    lockDurationMs: config.WORKER_LOCK_MS,
    stalledIntervalMs: config.WORKER_STALLED_INTERVAL_MS,
    tracing,
  });

  const workers: { close(): Promise<void> }[] = [];
  let pool: TrainingPool | undefined;
  let mailer: Mailer | undefined;
  let stopStats = () => {};
  // Each queue's code (and what it loads: piscina, TensorFlow.js, nodemailer) is imported only by a
  // replica that serves the queue, so a predict-only worker never holds the others'.
  if (trains) {
    const [{ TrainingPool }, { createTrainProcessor }] = await Promise.all([import('./train/training-pool.js'), import('./train/train.processor.js')]);
    const traceTo = config.OTEL_EXPORTER_OTLP_ENDPOINT ? { endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT, tracing } : undefined;
    pool = new TrainingPool(config.TRAIN_CONCURRENCY, storage, config.TRAIN_STOP_GRACE_MS, config.CHECKPOINT_INTERVAL_S * 1000, traceTo);
    const registry = new ModelRegistry(redis, store, config.QUEUE_PREFIX);
    const train = createTrainProcessor({ pool, registry, events, log, epochsRun: metrics.epochsRun });
    // Each shard's worker may take up to TRAIN_CONCURRENCY trainings, all of them together no more: a
    // training the pool has no thread for is better left waiting for an idle replica.
    const slots = shards.length > 1 ? new Slots(config.TRAIN_CONCURRENCY) : undefined;
    for (const shard of shards) workers.push(createTaskWorker('train', train, { ...taskWorker(config.TRAIN_CONCURRENCY, shard), slots }));
  }
  // Predictions and batch chunks share the loaded models.
  const scores = (queue: QueueName) => config.WORKER_QUEUES.includes(queue);
  const models =
    scores('predict') || scores('batch-chunks')
      ? (await import('./predict/stored-models.js')).modelsFromStore(store, config.MODEL_CACHE_MB * 1024 * 1024, metrics.modelEvicted)
      : undefined;
  if (models) {
    metrics.watchModelCache(() => models.stats());
    stopStats = logModelCacheStats(() => models.stats(), log, config.MODEL_CACHE_STATS_S * 1000);
  }
  if (models && scores('predict')) {
    const { createPredictPipeline } = await import('./predict/pipeline.js');
    const ttl = config.PREDICT_CACHE_TTL;
    const predict = createPredictPipeline({
      store,
      models,
      caches: {
        predictions: new PredictionCache(cache.redis, config.QUEUE_PREFIX, ttl),
        embeddings: new PredictionCache<number[]>(cache.redis, config.QUEUE_PREFIX, ttl, 'embed'),
        semantic: new SemanticIndex(cache.redis, config.QUEUE_PREFIX, ttl, config.SEMANTIC_CACHE_MAX_ENTRIES),
        writes: cache.redis === redis ? writes : new RedisBatch(cache.redis, [cachedRowsOp]),
      },
      log,
      metrics,
      bookkeeping: writes,
      prefix: config.QUEUE_PREFIX,
      rollouts: new RolloutStats(redis, config.QUEUE_PREFIX),
    });
    // One BullMQ worker per shard, one pipeline: predictions of every shard batch and share the model cache.
    for (const shard of shards) workers.push(createTaskWorker('predict', predict, { ...taskWorker(config.PREDICT_CONCURRENCY, shard), earlyCancel: 'alongside' }));
  }
  const ledger = new ChunkLedger(redis, config.QUEUE_PREFIX, config.TASK_RETENTION_S);
  const batchRegistry = new ModelRegistry(redis, store, config.QUEUE_PREFIX);
  if (scores('batch')) {
    const { createBatchProcessor } = await import('./batch/batch.processor.js');
    const batch = createBatchProcessor({
      store,
      registry: batchRegistry,
      queues,
      ledger,
      events,
      log,
      rowsPerChunk: config.BATCH_CHUNK_ROWS,
    });
    workers.push(createTaskWorker('batch', batch, taskWorker(config.BATCH_CONCURRENCY)));
  }
  if (models && scores('batch-chunks')) {
    const { createChunkWorker } = await import('./batch/chunk.worker.js');
    workers.push(
      createChunkWorker(
        { store, models, ledger, registry: batchRegistry },
        {
          connection: redis,
          prefix: config.QUEUE_PREFIX,
          concurrency: config.BATCH_CHUNK_CONCURRENCY,
          lockDurationMs: config.WORKER_LOCK_MS,
          stalledIntervalMs: config.WORKER_STALLED_INTERVAL_MS,
          log,
        },
      ),
    );
  }
  if (config.WORKER_QUEUES.includes('notify')) {
    if (!config.WEBHOOK_SECRET) log.warn('WEBHOOK_SECRET is not set: webhooks go out unsigned and receivers cannot verify them');
    const [{ createMailer }, { createNotifyProcessor }, { createNotifyWorker }] = await Promise.all([
      import('./notify/mailer.js'),
      import('./notify/notify.processor.js'),
      import('./notify/notify.worker.js'),
    ]);
    mailer = createMailer(config, log);
    const notify = createNotifyProcessor({
      mailer,
      publicUrl: config.PUBLIC_URL,
      webhook: { secret: config.WEBHOOK_SECRET, allowHosts: config.WEBHOOK_ALLOW_HOSTS, timeoutMs: config.WEBHOOK_TIMEOUT_MS },
    });
    const notifyOptions = { connection: redis, prefix: config.QUEUE_PREFIX, concurrency: config.NOTIFY_CONCURRENCY, log, onDelivery: metrics.delivery, telemetry: tracing.bullmq };
    workers.push(createNotifyWorker(notify, notifyOptions));
  }
  const metricsServer = config.METRICS_PORT === undefined ? undefined : await startMetricsServer(metrics.registry, config.METRICS_PORT, config.METRICS_HOST);
  if (metricsServer) log.info({ url: metricsServer.url }, 'metrics listening');
  log.info({ worker: workerName, queues: config.WORKER_QUEUES, shards }, 'worker ready');

  let stopped: Promise<void> | undefined;
  const stop = async () => {
    log.info('draining');
    const drained = Promise.all(workers.map((worker) => worker.close())).then(() => true);
    const finished = await Promise.race([drained, sleep(config.SHUTDOWN_TIMEOUT_S * 1000, false)]);
    if (finished) {
      await pool?.close();
    } else {
      // A started close() cannot be forced (BullMQ hands back the pending one): leave the tasks running
      // as they are; their threads end with the process, their locks lapse and another worker takes
      // them over, with no failed attempt recorded.
      log.warn('active tasks did not finish in time; another worker will take them over');
    }
    stopStats();
    await Promise.all([queues.close(), metricsServer?.close()]);
    mailer?.close();
    await control.close();
    redis.disconnect();
    cache.redis.disconnect();
    await tracing.shutdown();
    log.info('stopped');
  };
  return { name: workerName, stop: () => (stopped ??= stop()) };
}

