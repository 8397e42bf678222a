import { z } from 'zod';
import { queueNames, type QueueName } from '@trainyard/shared/jobs';
import { metricsEnv } from '@trainyard/shared/metrics';
import { cacheEnv, logEnv, notifyEnv, parseEnv, redisEnv, withSlotPrefix, retentionEnv, storageEnv } from '@trainyard/shared/platform';
import { tracingEnv } from '@trainyard/shared/tracing';

const concurrency = z.coerce.number().int().min(1).max(1_000);

const queueList = z
  .string()
  .transform((value) => [...new Set(value.split(',').map((name) => name.trim()).filter(Boolean))])
  .pipe(z.array(z.enum(queueNames as [QueueName, ...QueueName[]])).min(1, 'name at least one queue'));

/** "2,0": shard numbers (0-63), each once, in order. */
const shardList = z
  .string()
  .transform((value) => [...new Set(value.split(',').map((shard) => shard.trim()).filter(Boolean))])
  .pipe(z.array(z.string().regex(/^\d{1,2}$/, 'a shard number').transform(Number).pipe(z.int().max(63))).min(1, 'name at least one shard'))
  .transform((shards) => shards.sort((a, b) => a - b));

export const workerEnv = z.object({
  ...redisEnv.shape,
  ...storageEnv.shape,
  ...retentionEnv.shape,
  ...logEnv.shape,
  ...notifyEnv.shape,
  ...cacheEnv.shape,
  ...metricsEnv.shape,
  ...tracingEnv.shape,
  /** Which queues this replica serves, e.g. "train" for a training-only pool. */
  WORKER_QUEUES: queueList.default(['train', 'predict', 'notify', 'batch', 'batch-chunks']),
  /**
   * The queue shards whose train and predict queues this replica serves; unset: all QUEUE_SHARDS,
   * and those beyond it that still hold jobs (QUEUE_SHARDS went down), found at start.
   */
  WORKER_SHARDS: shardList.optional(),
  /** Trainings at once, each in its own thread. */
  TRAIN_CONCURRENCY: concurrency.default(1),
  /** A network's training saves a checkpoint at most this often, and an attempt after a dead worker resumes from it; 0 turns checkpoints off. */
  CHECKPOINT_INTERVAL_S: z.coerce.number().min(0).default(30),
  /** How long a cancelled or timed-out training may take to reach its next batch before its thread is terminated. */
  TRAIN_STOP_GRACE_MS: z.coerce.number().int().min(0).default(5_000),
  PREDICT_CONCURRENCY: concurrency.default(16),
  /** Batch predictions followed at once (mostly waiting for their chunks). */
  BATCH_CONCURRENCY: concurrency.default(4),
  /** Chunks of batch predictions scored at once: CPU-bound, two overlap one's storage I/O with the other's work. */
  BATCH_CHUNK_CONCURRENCY: concurrency.default(2),
  /** Input records per chunk of a batch prediction. */
  BATCH_CHUNK_ROWS: z.coerce.number().int().min(1).max(1_000_000).default(10_000),
  /** Emails and webhooks being delivered at once. */
  NOTIFY_CONCURRENCY: concurrency.default(8),
  /** How long SIGTERM waits for active tasks before leaving them to another worker. */
  SHUTDOWN_TIMEOUT_S: z.coerce.number().min(0).default(30),
  /** Memory for loaded models, by their weight size. */
  MODEL_CACHE_MB: z.coerce.number().positive().default(64),
  /** How often the model cache's hit/miss counts are logged (when they changed). */
  MODEL_CACHE_STATS_S: z.coerce.number().positive().default(60),
  /** Texts the semantic cache indexes per model version at most. */
  SEMANTIC_CACHE_MAX_ENTRIES: z.coerce.number().int().positive().default(10_000),
  /** A task whose worker stops renewing its lock for this long is taken over by another worker. */
  WORKER_LOCK_MS: z.coerce.number().int().min(1_000).default(30_000),
  WORKER_STALLED_INTERVAL_MS: z.coerce.number().int().min(1_000).default(30_000),
});

export type WorkerConfig = z.output<typeof workerEnv>;

export const loadConfig = (source: NodeJS.ProcessEnv): WorkerConfig => withSlotPrefix(parseEnv(workerEnv, source));
