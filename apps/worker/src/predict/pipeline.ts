import type { Job } from 'bullmq';
import { loadModel } from '@trainyard/ml/predict';
import type { SemanticIndex } from '@trainyard/shared/cache';
import type { ParsedJob, PredictJobData, PredictResult } from '@trainyard/shared/jobs';
import { NotFoundError, tenantOf, type Logger } from '@trainyard/shared/platform';
import { storageKeys, type ObjectStore } from '@trainyard/shared/storage';
import type { WorkerMetrics } from '../metrics.js';
import { cacheAnswers, type AnswerCaches } from './cached-answers.js';
import { embedDataset, type EmbedDatasetResult } from './embed-dataset.js';
import { ModelCache } from './model-cache.js';
import { PredictionBatcher } from './prediction-batcher.js';
import { answerSemantically } from './semantic.js';

export interface PredictDeps {
  store: ObjectStore;
  modelCacheBytes: number;
  caches: AnswerCaches & { semantic: SemanticIndex };
  log: Logger;
  metrics?: Pick<WorkerMetrics, 'cacheLookups' | 'modelEvicted'>;
}

/** What a predict job asks for. */
type PredictVariant = 'embed-dataset' | 'embeddings' | 'semantic' | 'predictions';

function variantOf(data: PredictJobData): PredictVariant {
  if (data.embed_dataset) return 'embed-dataset';
  if (data.output === 'embedding') return 'embeddings';
  return data.semantic_threshold === undefined ? 'predictions' : 'semantic';
}

/** Loads a tenant's model version from object storage: the only state workers share. */
async function loadFromStore(store: ObjectStore, model: string, version: number, tenant: string) {
  const keys = storageKeys(tenant);
  const [topology, weights] = await Promise.all([store.get(keys.modelFile(model, version, 'model.json')), store.get(keys.modelFile(model, version, 'weights.bin'))]);
  if (!topology || !weights) throw new NotFoundError(`model ${model} version ${version} is not in storage`);
  return loadModel({ 'model.json': topology.toString('utf8'), 'weights.bin': new Uint8Array(weights) });
}

/**
 * The one predict processor: a predict job's data is parsed once (by the task runtime), then the
 * job's variant decides the path: plain predictions (batched across concurrent tasks), predictions
 * through the semantic cache, embeddings, or a dataset's embeddings precomputed into the cache.
 * Answers are cached before the task completes. Predictions run on the main thread: small models
 * answer in microseconds, far below a thread hop. TensorFlow.js loads only with the first network.
 */
export function createPredictPipeline(deps: PredictDeps) {
  const models = new ModelCache(deps.modelCacheBytes, (model, version, tenant) => loadFromStore(deps.store, model, version, tenant), deps.metrics?.modelEvicted);
  const batcher = new PredictionBatcher();

  const process = async ({ data }: ParsedJob<'predict'>, _signal: AbortSignal, job: Job): Promise<PredictResult | EmbedDatasetResult> => {
    const { model, version } = data;
    const log = deps.log.child({ task_id: job.id });
    const tenant = tenantOf(data);
    const caches = { predictions: deps.caches.predictions.forTenant(tenant), embeddings: deps.caches.embeddings.forTenant(tenant) };
    const loaded = await models.get(model, version, tenant);
    switch (variantOf(data)) {
      case 'embed-dataset': {
        const target = { model, version, loaded, dataset: { tenant, ...data.embed_dataset! } };
        return embedDataset(target, { store: deps.store, embeddings: caches.embeddings }, (percent) => job.updateProgress({ percent }));
      }
      case 'embeddings': {
        const embeddings = loaded.embed(data.inputs);
        await cacheAnswers(caches, data, { embeddings }, log);
        return { model, version, embeddings };
      }
      case 'semantic': {
        const texts = data.inputs as string[];
        const threshold = data.semantic_threshold!;
        const index = deps.caches.semantic.forTenant(tenant);
        const { predictions, allBorrowed } = await answerSemantically({ model, version, loaded, texts, threshold }, index, log);
        const borrowed = predictions.filter((prediction) => 'cached' in prediction).length;
        deps.metrics?.cacheLookups.record('semantic', true, borrowed);
        deps.metrics?.cacheLookups.record('semantic', false, texts.length - borrowed);
        await cacheAnswers(caches, data, { predictions }, log);
        return { model, version, predictions, ...(allBorrowed ? { cached: 'semantic' as const } : {}) };
      }
      case 'predictions': {
        const predictions = await batcher.predict(loaded, data.inputs);
        await cacheAnswers(caches, data, { predictions }, log);
        return { model, version, predictions };
      }
    }
  };
  return { process, models };
}
