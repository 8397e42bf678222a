import type { Job } from 'bullmq';
import { initBackend } from '@trainyard/ml/backend';
import { loadModel } from '@trainyard/ml/predict';
import type { SemanticIndex } from '@trainyard/shared/cache';
import type { ParsedJob, PredictJobData, PredictResult } from '@trainyard/shared/jobs';
import { NotFoundError, type Logger } from '@trainyard/shared/platform';
import { storageKeys, type ObjectStore } from '@trainyard/shared/storage';
import type { Attempt } from '../tasks/attempt.js';
import { answerWrites, type AnswerCaches } from './cached-answers.js';
import { embedDataset, type EmbedDatasetResult } from './embed-dataset.js';
import { ModelCache } from './model-cache.js';
import { PredictionBatcher } from './prediction-batcher.js';
import { answerSemantically } from './semantic.js';

export interface PredictDeps {
  store: ObjectStore;
  modelCacheBytes: number;
  caches: AnswerCaches & { semantic: SemanticIndex };
  log: Logger;
}

/** What a predict job asks for. */
type PredictVariant = 'embed-dataset' | 'embeddings' | 'semantic' | 'predictions';

function variantOf(data: PredictJobData): PredictVariant {
  if (data.embed_dataset) return 'embed-dataset';
  if (data.output === 'embedding') return 'embeddings';
  return data.semantic_threshold === undefined ? 'predictions' : 'semantic';
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

/**
 * The one predict processor: a predict job's data is parsed once (by the task runtime), then the
 * job's variant decides the path: plain predictions (batched across concurrent tasks), predictions
 * through the semantic cache, embeddings, or a dataset's embeddings precomputed into the cache.
 * Answers are cached with the task's SUCCESS (one batched command with its final status). Predictions run on the main thread: small models
 * answer in microseconds, far below a thread hop.
 */
export async function createPredictPipeline(deps: PredictDeps) {
  await initBackend();
  const models = new ModelCache(deps.modelCacheBytes, (model, version) => loadFromStore(deps.store, model, version));
  const batcher = new PredictionBatcher();

  const process = async ({ data }: ParsedJob<'predict'>, attempt: Attempt, job: Job): Promise<PredictResult | EmbedDatasetResult> => {
    const { model, version } = data;
    const loaded = await models.get(model, version);
    const cacheWith = (answers: Parameters<typeof answerWrites>[2]) => answerWrites(deps.caches, data, answers).forEach(attempt.withOutcome);
    switch (variantOf(data)) {
      case 'embed-dataset':
        return embedDataset({ model, version, loaded, dataset: data.embed_dataset! }, { store: deps.store, embeddings: deps.caches.embeddings }, (percent) =>
          job.updateProgress({ percent }),
        );
      case 'embeddings': {
        const embeddings = loaded.embed(data.inputs);
        cacheWith({ embeddings });
        return { model, version, embeddings };
      }
      case 'semantic': {
        const texts = data.inputs as string[];
        const threshold = data.semantic_threshold!;
        const { predictions, allBorrowed } = await answerSemantically({ model, version, loaded, texts, threshold }, deps.caches.semantic, deps.log);
        cacheWith({ predictions });
        return { model, version, predictions, ...(allBorrowed ? { cached: 'semantic' as const } : {}) };
      }
      case 'predictions': {
        const predictions = await batcher.predict(loaded, data.inputs);
        cacheWith({ predictions });
        return { model, version, predictions };
      }
    }
  };
  return { process, models };
}
