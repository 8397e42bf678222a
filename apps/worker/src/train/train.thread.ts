import { isCheckpointed, type Checkpoints } from '@trainyard/ml/checkpoint';
import { loadModel, type ModelInputs } from '@trainyard/ml/predict';
import { trainModel } from '@trainyard/ml/train';
import { loadTextTrainingData, loadTrainingData } from '@trainyard/shared/datasets';
import { isTextDatasetRef, type Algorithm, type AlgorithmParams } from '@trainyard/shared/jobs';
import { AppError, DataError, tenantOf } from '@trainyard/shared/platform';
import { createObjectStore, storageKeys, type ObjectStore } from '@trainyard/shared/storage';
import { noTracing, startTracing, tracedStore, type Tracing } from '@trainyard/shared/tracing';
import type { TrainingMessage, TrainingOutcome, TrainingReply, TrainingStop, TrainingTask } from './training-task.js';

/**
 * Runs in a pool thread, so a long training never blocks the worker's event loop: BullMQ keeps
 * renewing the task's lock, other tasks run and shutdown stays responsive. TensorFlow.js is loaded
 * by the first network this thread trains, never for a linear model.
 */
export default async function train(task: TrainingTask): Promise<TrainingReply> {
  if (!task.trace) return run(task, noTracing);
  threadTracing ??= startTracing('trainyard-worker', task.trace.endpoint);
  const tracing = await threadTracing;
  try {
    return await tracing.span('train.thread', { 'trainyard.algorithm': task.job.algorithm }, () => run(task, tracing), task.trace.carrier);
  } finally {
    // The thread may idle for a long time now: send its spans while the trace is fresh.
    await tracing.flush();
  }
}

/** One tracer per thread, started by the first traced training it runs. */
let threadTracing: Promise<Tracing> | undefined;

async function run(task: TrainingTask, tracing: Tracing): Promise<TrainingReply> {
  const { job, storage, port } = task;
  const send = (message: TrainingMessage) => port.postMessage(message);
  const stop = new AbortController();
  port.on('message', (message: TrainingStop) => message.type === 'stop' && stop.abort());
  try {
    const store = tracedStore(createObjectStore(storage.url, storage.s3), tracing);
    const tenant = tenantOf(job);
    const [data, checkpoints] = await Promise.all([
      isTextDatasetRef(job.dataset) ? loadTextTrainingData(store, tenant, job.dataset) : loadTrainingData(store, tenant, job.dataset),
      checkpointsOf(task, store),
    ]);
    const trained = await tracing.span('train.fit', { 'trainyard.epochs': Number(job.params.epochs ?? 0) }, () => trainModel(data, {
      algorithm: job.algorithm,
      params: job.params as AlgorithmParams<Algorithm>,
      onEpoch: (progress) => send({ type: 'progress', progress }),
      log: (line) => send({ type: 'log', line }),
      signal: stop.signal,
      ...(checkpoints && { checkpoints, onResume: (from) => send({ type: 'resume', from }) }),
    }));
    await assertPredicts(trained, 'texts' in data ? data.texts[0]! : data.features[0]!);
    return { ok: true, outcome: trained };
  } catch (error) {
    if (error instanceof AppError) return { ok: false, error: { code: error.code, message: error.message } };
    throw error;
  } finally {
    port.close();
  }
}

/**
 * The task's checkpoint object, read once: an earlier attempt's (whose worker died) is resumed
 * from. Written whole by the store's put (an S3 PUT, or a rename on a file store), so a thread
 * terminated mid-write leaves the previous checkpoint, never half of one.
 */
async function checkpointsOf({ taskId, job, checkpointIntervalMs }: TrainingTask, store: ObjectStore): Promise<Checkpoints | undefined> {
  if (checkpointIntervalMs === 0 || !isCheckpointed(job.algorithm)) return undefined;
  const key = storageKeys(tenantOf(job)).checkpoint(taskId);
  return { saved: await store.get(key), intervalMs: checkpointIntervalMs, write: (bytes) => store.put(key, bytes) };
}

/**
 * A training whose numbers overflowed (features near the largest numbers, a learning rate far too
 * high) would publish a model that can never predict: its loss, its scaling or its predictions are
 * not finite. It fails instead, and nothing is published.
 */
async function assertPredicts(trained: TrainingOutcome, sample: readonly number[] | string): Promise<void> {
  const diverged = (what: string) => new DataError(`the training diverged: ${what}; scale the features down or lower the learning rate`);
  const metric = Object.entries(trained.metrics).find(([, value]) => !Number.isFinite(value));
  if (metric) throw diverged(`${metric[0]} is ${metric[1]}`);
  const model = await loadModel(trained.files).catch(() => {
    throw diverged('its feature scaling is not finite');
  });
  try {
    const [prediction] = model.predict([sample] as ModelInputs);
    const numbers = prediction && ('value' in prediction ? [prediction.value] : Object.values(prediction.probabilities));
    if (!numbers?.every(Number.isFinite)) throw diverged('its predictions are not finite numbers');
  } finally {
    model.dispose();
  }
}
