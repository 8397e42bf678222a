import type { Job } from 'bullmq';
import type { SemanticIndex } from '@trainyard/shared/cache';
import type { ParsedJob, PredictJobData, PredictResult } from '@trainyard/shared/jobs';
import type { Logger } from '@trainyard/shared/platform';
import type { ObjectStore } from '@trainyard/shared/storage';
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
 * through the semantic cache, embeddings, or a dataset's embeddings precomputed into the cache.
 * Answers are cached with the task's SUCCESS (one batched command with its final status). Predictions run on the main thread: small models
 * answer in microseconds, far below a thread hop.
 */
export function createPredictPipeline(deps: PredictDeps) {
  const { models } = deps;
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
  return process;
}
