import type { Job } from 'bullmq';
import type { SemanticIndex } from '@trainyard/shared/cache';
import type { ParsedJob, PredictJobData, PredictResult } from '@trainyard/shared/jobs';
import { tenantOf, type Logger } from '@trainyard/shared/platform';
import type { ObjectStore } from '@trainyard/shared/storage';
import type { WorkerMetrics } from '../metrics.js';
import type { Attempt } from '../tasks/attempt.js';
import { answerWrites, type AnswerCaches } from './cached-answers.js';
import { embedDataset, type EmbedDatasetResult } from './embed-dataset.js';
import type { ModelCache } from './model-cache.js';
import { PredictionBatcher } from './prediction-batcher.js';
import { answerSemantically } from './semantic.js';

export interface PredictDeps {
  store: ObjectStore;
  /** Loaded models, shared with batch chunks in a worker that scores both. */
  models: ModelCache;
  caches: AnswerCaches & { semantic: SemanticIndex };
  log: Logger;
  metrics?: Pick<WorkerMetrics, 'cacheLookups'>;
}

/** What a predict job asks for. */
type PredictVariant = 'embed-dataset' | 'embeddings' | 'semantic' | 'predictions';

function variantOf(data: PredictJobData): PredictVariant {
  if (data.embed_dataset) return 'embed-dataset';
  if (data.output === 'embedding') return 'embeddings';
  return data.semantic_threshold === undefined ? 'predictions' : 'semantic';
}

/**
 * The one predict processor: a predict job's data is parsed once (by the task runtime), then the
 * job's variant decides the path: plain predictions (batched across concurrent tasks), predictions
 * through the semantic cache, embeddings, or a dataset's embeddings precomputed into the cache. It
 * works in the job's tenant: its models, its caches. Answers are cached with the task's SUCCESS
 * (one batched command with its final status). Predictions run on the main thread: small models
 * answer in microseconds, far below a thread hop.
 */
export function createPredictPipeline(deps: PredictDeps) {
  const { models } = deps;
  const batcher = new PredictionBatcher();

  return async ({ data }: ParsedJob<'predict'>, attempt: Attempt, job: Job): Promise<PredictResult | EmbedDatasetResult> => {
    const { model, version } = data;
    const tenant = tenantOf(data);
    const caches = { ...deps.caches, predictions: deps.caches.predictions.forTenant(tenant), embeddings: deps.caches.embeddings.forTenant(tenant) };
    const loaded = await models.get(model, version, tenant);
    const cacheWith = (answers: Parameters<typeof answerWrites>[2]) => answerWrites(caches, data, answers).forEach(attempt.withOutcome);
    switch (variantOf(data)) {
      case 'embed-dataset': {
        const target = { model, version, loaded, dataset: { tenant, ...data.embed_dataset! } };
        return embedDataset(target, { store: deps.store, embeddings: caches.embeddings }, (percent) => job.updateProgress({ percent }));
      }
      case 'embeddings': {
        const embeddings = loaded.embed(data.inputs);
        cacheWith({ embeddings });
        return { model, version, embeddings };
      }
      case 'semantic': {
        const texts = data.inputs as string[];
        const threshold = data.semantic_threshold!;
        const log = deps.log.child({ task_id: job.id });
        const { predictions, allBorrowed } = await answerSemantically({ model, version, loaded, texts, threshold }, deps.caches.semantic.forTenant(tenant), log);
        const borrowed = predictions.filter((prediction) => 'cached' in prediction).length;
        deps.metrics?.cacheLookups.record('semantic', true, borrowed);
        deps.metrics?.cacheLookups.record('semantic', false, texts.length - borrowed);
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
}
