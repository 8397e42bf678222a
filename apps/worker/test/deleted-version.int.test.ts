import { mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '@trainyard/ml/predict';
import { trainModel } from '@trainyard/ml/train';
import { cachedRowsOp, PredictionCache, SemanticIndex } from '@trainyard/shared/cache';
import { leaveBacklogOp, parseJob, TaskBacklog, type PredictJobData } from '@trainyard/shared/jobs';
import { ModelRegistry, rolloutRecordOp, RolloutStats, type ModelVersion } from '@trainyard/shared/models';
import { keysExistOp, RedisBatch } from '@trainyard/shared/platform';
import { createObjectStore } from '@trainyard/shared/storage';
import { TaskCancellation, TaskEventLog, taskEventOp } from '@trainyard/shared/tasks';
import { deletePrefix, redisUrl, testPrefix } from '@trainyard/test-support/redis';
import { ModelCache } from '../src/predict/model-cache.js';
import { createPredictPipeline } from '../src/predict/pipeline.js';
import { ChunkLedger } from '../src/batch/chunk-ledger.js';
import { scoreChunk } from '../src/batch/score-chunk.js';
import { runAttempt, type AttemptRuntime } from '../src/tasks/attempt.js';
import { TaskBookkeeping } from '../src/tasks/bookkeeping.js';
import { TaskControl } from '../src/tasks/control.js';
import { FinalStatusRecorder } from '../src/tasks/record-final.js';

/** The predict pipeline on real Redis and a real store, with the model already in the worker's memory. */

const prefix = testPrefix('deleted-version');
const root = mkdtempSync(join(tmpdir(), 'ty-deleted-version-'));
const redis = new Redis(redisUrl);
const subscriber = new Redis(redisUrl);
const log = pino({ level: 'silent' });
const store = createObjectStore(`file://${root}`);
const registry = new ModelRegistry(redis, store, prefix);
const events = new TaskEventLog(redis, prefix, 60);
const cancels = new TaskCancellation(redis, prefix, 60);
const writes = new RedisBatch(redis, [taskEventOp, keysExistOp, cachedRowsOp, leaveBacklogOp, rolloutRecordOp]);
const bookkeeping = new TaskBookkeeping(writes, events, cancels, log);
const taskQueue = new Queue('predict', { connection: redis, prefix });
const features = Array.from({ length: 40 }, (_, i) => (i % 2 ? [5 + (i % 7) / 10, 5] : [-5 - (i % 5) / 10, -5]));
let runtime: AttemptRuntime;
let models: ModelCache;
let predict: ReturnType<typeof createPredictPipeline>;

const meta = (version: number): ModelVersion => ({
  model: 'sides',
  version,
  algorithm: 'logistic-regression',
  params: {},
  task: 'classification',
  feature_names: ['a', 'b'],
  classes: ['high', 'low'],
  metrics: {},
  size_bytes: 4,
  training_task_id: `train-${version}`,
  created_at: new Date().toISOString(),
});

beforeAll(async () => {
  if (subscriber.status !== 'ready') await once(subscriber, 'ready');
  runtime = { bookkeeping, control: await TaskControl.start(subscriber, cancels, log), final: new FinalStatusRecorder(bookkeeping, new TaskBacklog(redis, prefix, { retentionSeconds: 60, retentionCount: 100 })) };
  const trained = await trainModel(
    { featureNames: ['a', 'b'], features, labels: features.map((_, i) => (i % 2 ? 'high' : 'low')) },
    { algorithm: 'logistic-regression', params: { epochs: 30, validation_split: 0, seed: 3 } },
  );
  const loaded = await loadModel(trained.files);
  // Every version is the same trained model, loaded once: what a worker holds in memory.
  models = new ModelCache(1e9, async () => loaded);
  predict = createPredictPipeline({
    store,
    models,
    caches: {
      predictions: new PredictionCache(redis, prefix, 60),
      embeddings: new PredictionCache<number[]>(redis, prefix, 60, 'embed'),
      semantic: new SemanticIndex(redis, prefix, 60),
      writes,
    },
    log,
    bookkeeping: writes,
    prefix,
    rollouts: new RolloutStats(redis, prefix),
  });
  for (const version of [1, 2]) await registry.publish(meta(version));
});

afterAll(async () => {
  await runtime.control.close();
  await taskQueue.close();
  await deletePrefix(prefix);
  redis.disconnect();
  rmSync(root, { recursive: true, force: true });
});

let taskCount = 0;

async function runPredict(version: number): Promise<unknown> {
  const data: PredictJobData = { model: 'sides', version, inputs: [[5, 5]], output: 'prediction', deadline: {} };
  const job = (await taskQueue.add('model.predict', data, { jobId: `predict-${String(++taskCount).padStart(32, '0')}`, attempts: 3 })) as Job;
  job.attemptsStarted = 1;
  return runAttempt(job, 'predict', runtime, (attempt) => predict(parseJob('predict', job), attempt, job), 'alongside');
}

describe('a predict for a version deleted after it was queued', () => {
  it('fails with model_version_deleted, without retries, though the worker still holds the model', async () => {
    await expect(runPredict(2)).resolves.toMatchObject({ version: 2, predictions: [{ label: 'high' }] });
    await registry.deleteVersion('sides', 2);
    const failed = runPredict(2);
    await expect(failed).rejects.toThrow(/version 2 of model "sides" was deleted/);
    const [, final] = (await events.read(`predict-${String(taskCount).padStart(32, '0')}`)).map(({ event }) => event);
    expect(final).toMatchObject({ status: 'FAILURE', attempt: 1, error: { code: 'model_version_deleted' } });
    // The model was answered from memory (one load, before the deletion): only the check stopped it.
    expect(models.stats()).toMatchObject({ misses: 1, hits: 1 });
    // Only that version: the model's other versions still answer.
    await expect(runPredict(1)).resolves.toMatchObject({ version: 1 });
  });
});

describe('a batch chunk of a version deleted while its batch runs', () => {
  it('fails with model_version_deleted before it loads the model or reads its input', async () => {
    const before = models.stats();
    const chunk = {
      task_id: 'batch-deleted-version',
      index: 0,
      model: 'sides',
      version: 2,
      input: { inline: true as const },
      bytes: [0, 100] as [number, number],
      input_stamp: 'unread',
      first_row: 1,
      columns: ['a', 'b'],
      output: 'jsonl' as const,
    };
    const failed = scoreChunk(chunk, { store, models, registry, ledger: new ChunkLedger(redis, prefix, 60) });
    await expect(failed).rejects.toMatchObject({ code: 'model_version_deleted', message: 'version 2 of model "sides" was deleted after this task was queued' });
    expect(models.stats()).toEqual(before);
  });
});
