import type { Job } from 'bullmq';
import { initBackend } from '@trainyard/ml/backend';
import { loadModel } from '@trainyard/ml/predict';
import { NotFoundError } from '@trainyard/shared/errors';
import { predictJobData, type PredictResult } from '@trainyard/shared/jobs';
import { parseJobData } from '../task-lifecycle.js';
import type { ObjectStore } from '@trainyard/shared/storage';
import { storageKeys } from '@trainyard/shared/storage/keys';
import { ModelCache } from './model-cache.js';
import { PredictionBatcher } from './prediction-batcher.js';

export interface PredictDeps {
  store: ObjectStore;
  modelCacheBytes: number;
}

/** Loads a model version's artifact from object storage: the only state workers share. */
async function loadFromStore(store: ObjectStore, model: string, version: number) {
  const [topology, weights] = await Promise.all([
    store.get(storageKeys.modelFile(model, version, 'model.json')),
    store.get(storageKeys.modelFile(model, version, 'weights.bin')),
  ]);
  if (!topology || !weights) throw new NotFoundError(`model ${model} version ${version} is not in storage`);
  return loadModel({ 'model.json': topology.toString('utf8'), 'weights.bin': new Uint8Array(weights) });
}

/** Predictions run on the main thread: small models answer in microseconds, far below a thread hop. */
export async function createPredictProcessor(deps: PredictDeps) {
  await initBackend();
  const models = new ModelCache(deps.modelCacheBytes, (model, version) => loadFromStore(deps.store, model, version));
  const batcher = new PredictionBatcher();
  const process = async (job: Job): Promise<PredictResult> => {
    const { model, version, inputs, output } = parseJobData(predictJobData, job.data);
    const loaded = await models.get(model, version);
    if (output === 'embedding') return { model, version, embeddings: loaded.embed(inputs) };
    return { model, version, predictions: await batcher.predict(loaded, inputs) };
  };
  return { process, models };
}
