import { setTimeout as sleep } from 'node:timers/promises';
import type { Worker } from 'bullmq';
import { seedBuiltInDatasets } from '@trainyard/shared/datasets';
import { configOrExit } from '@trainyard/shared/env';
import { createLogger } from '@trainyard/shared/logger';
import { ModelRegistry } from '@trainyard/shared/model-registry';
import { notifyQueueOptions, TaskNotifications } from '@trainyard/shared/notify-queue';
import { cacheEvictionVerdict, connectCacheRedis, guardQueueEviction, onEvictionPolicy } from '@trainyard/shared/cache-redis';
import { PredictionCache } from '@trainyard/shared/cache-predictions';
import { SemanticIndex } from '@trainyard/shared/cache-semantic';
import { createRedis } from '@trainyard/shared/redis';
import { createObjectStore, s3OptionsFromEnv } from '@trainyard/shared/storage';
import { TaskCancellation } from '@trainyard/shared/task-control';
import { TaskEventLog } from '@trainyard/shared/task-events';
import { logModelCacheStats } from './cache/model-cache-stats.js';
import { embeddingDatasets } from './cache/embed-dataset.js';
import { answeringSemantically } from './cache/semantic-predict.js';
import { storingPredictions } from './cache/store-predictions.js';
import { loadConfig } from './config.js';
import { workerName } from './identity.js';
import { createMailer, type Mailer } from './notify/mailer.js';
import { createNotifyProcessor } from './notify/notify.processor.js';
import { createNotifyWorker } from './notify/notify.worker.js';
import { createPredictProcessor } from './predict/predict.processor.js';
import { TaskControl } from './task-control.js';
import { createTaskWorker } from './task-workers.js';
import { createTrainProcessor } from './train/train.processor.js';
import { TrainingPool } from './train/training-pool.js';

const config = configOrExit('worker', () => loadConfig(process.env));
const log = createLogger('worker', config.LOG_LEVEL);
const redis = createRedis(config.REDIS_URL, 'worker');
const storage = { url: config.STORAGE_URL, s3: s3OptionsFromEnv(config) };
const store = createObjectStore(storage.url, storage.s3);
const events = new TaskEventLog(redis, config.QUEUE_PREFIX, config.TASK_RETENTION_S);
const registry = new ModelRegistry(redis, store, config.QUEUE_PREFIX);
const notifications = new TaskNotifications(redis, events, notifyQueueOptions(config));

const cache = connectCacheRedis(config.CACHE_REDIS_URL, redis);
if (cache.warning) {
  log.warn(cache.warning);
} else {
  onEvictionPolicy(cache.redis, (policy) => {
    const verdict = cacheEvictionVerdict(policy);
    if (verdict.level !== 'ok') log.warn({ policy }, verdict.message);
  });
}

guardQueueEviction(redis, config.QUEUE_REDIS_EVICTION, log);
await seedBuiltInDatasets(store);
const cancels = new TaskCancellation(redis, config.QUEUE_PREFIX, config.TASK_RETENTION_S);
const control = await TaskControl.start(redis, cancels, events, log);

const workerOptions = {
  connection: redis,
  prefix: config.QUEUE_PREFIX,
  events,
  onFinal: notifications.taskFinished.bind(notifications),
  control,
  log,
  lockDurationMs: config.WORKER_LOCK_MS,
  stalledIntervalMs: config.WORKER_STALLED_INTERVAL_MS,
};
const workers: Worker[] = [];
let pool: TrainingPool | undefined;
if (config.WORKER_QUEUES.includes('train')) {
  pool = new TrainingPool(config.TRAIN_CONCURRENCY, storage, config.TRAIN_STOP_GRACE_MS);
  const train = createTrainProcessor({ pool, registry, store, events, log });
  workers.push(createTaskWorker('train', config.TRAIN_CONCURRENCY, train, workerOptions));
}
if (config.WORKER_QUEUES.includes('predict')) {
  const predict = await createPredictProcessor({ store, modelCacheBytes: config.MODEL_CACHE_MB * 1024 * 1024 });
  const predictions = new PredictionCache(cache.redis, config.QUEUE_PREFIX, config.PREDICT_CACHE_TTL);
  const semantic = new SemanticIndex(cache.redis, config.QUEUE_PREFIX, config.PREDICT_CACHE_TTL, config.SEMANTIC_CACHE_MAX_ENTRIES);
  const embeddings = new PredictionCache<number[]>(cache.redis, config.QUEUE_PREFIX, config.PREDICT_CACHE_TTL, 'embed');
  const predictAndCache = embeddingDatasets(
    storingPredictions(answeringSemantically(predict.process, predict.models, semantic, log), { predictions, embeddings }, log),
    { store, models: predict.models, embeddings },
  );
  workers.push(createTaskWorker('predict', config.PREDICT_CONCURRENCY, predictAndCache, workerOptions));
  logModelCacheStats(() => predict.models.stats(), log, config.MODEL_CACHE_STATS_S * 1000);
}
let mailer: Mailer | undefined;
if (config.WORKER_QUEUES.includes('notify')) {
  if (!config.WEBHOOK_SECRET) log.warn('WEBHOOK_SECRET is not set: webhooks go out unsigned and receivers cannot verify them');
  mailer = createMailer(config, log);
  const notify = createNotifyProcessor({
    mailer,
    publicUrl: config.PUBLIC_URL,
    webhook: { secret: config.WEBHOOK_SECRET, allowHosts: config.WEBHOOK_ALLOW_HOSTS, timeoutMs: config.WEBHOOK_TIMEOUT_MS },
  });
  workers.push(createNotifyWorker(notify, { connection: redis, prefix: config.QUEUE_PREFIX, concurrency: config.NOTIFY_CONCURRENCY, log }));
}
log.info({ worker: workerName, queues: config.WORKER_QUEUES }, 'worker ready');

let stopping = false;
/**
 * Stop taking tasks, give active ones SHUTDOWN_TIMEOUT_S to finish, then leave: a task still
 * running is not lost, its lock lapses and another worker takes it over.
 */
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'draining');
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
  await notifications.close();
  mailer?.close();
  await control.close();
  redis.disconnect();
  cache.redis.disconnect();
  log.info('stopped');
  process.exit(0);
}

process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('unhandledRejection', (reason) => log.error({ err: reason }, 'unhandled rejection'));
