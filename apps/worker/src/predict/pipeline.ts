import type { Job } from 'bullmq';
import type { SemanticIndex } from '@trainyard/shared/cache';
import type { EmbedDatasetResult, ParsedJob, PredictJobData, PredictResult, Prediction } from '@trainyard/shared/jobs';
import { isDeletedOp, versionDeletedError, type RolloutStats } from '@trainyard/shared/models';
import { tenantOf, type Logger, type RedisBatch } from '@trainyard/shared/platform';
import type { ObjectStore } from '@trainyard/shared/storage';
import type { WorkerMetrics } from '../metrics.js';
import type { Attempt } from '../tasks/attempt.js';
import { answerWrites, type AnswerCaches } from './cached-answers.js';
import { embedDataset } from './embed-dataset.js';
import type { ModelCache } from './model-cache.js';
import { PredictionBatcher } from './prediction-batcher.js';
import { answerSemantically } from './semantic.js';
import { compareShadow } from './shadow-comparison.js';

export interface PredictDeps {
  store: ObjectStore;
  /** Loaded models, shared with batch chunks in a worker that scores both. */
  models: ModelCache;
  caches: AnswerCaches & { semantic: SemanticIndex };
  log: Logger;
  metrics?: Pick<WorkerMetrics, 'cacheLookups'>;
  /** The task runtime's batch (it carries STARTED and the outcome): the deleted-version check and rollout stats ride along. */
  bookkeeping: RedisBatch;
  prefix: string;
  rollouts: RolloutStats;
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

  return async (parsed: ParsedJob<'predict'>, attempt: Attempt, job: Job): Promise<PredictResult | EmbedDatasetResult> => {
    const { model, version } = parsed.data;
    const tenant = tenantOf(parsed.data);
    // Checked with STARTED or with the outcome, in the same command: a version deleted after the
    // task was queued never answers, even from a model this worker still holds in memory.
    attempt.check({ op: isDeletedOp(deps.prefix, tenant, model, version), error: () => versionDeletedError(model, version) });
    const startedAt = performance.now();
    const result = await run(parsed, attempt, job);
    const { rollout } = parsed.data;
    if (rollout && 'predictions' in result) {
      const role = rollout.shadow_of === undefined ? 'primary' : 'shadow';
      const at = { tenant, model, alias: rollout.alias, role, version } as const;
      const shadow = rollout.shadow_of === undefined ? undefined : { jobId: job.id!, comparison: await shadowComparison(parsed.data, rollout.shadow_of, result.predictions) };
      attempt.withOutcome({ batch: deps.bookkeeping, op: deps.rollouts.recordOp(at, performance.now() - startedAt, shadow), label: 'rollout stats not recorded' });
    }
    return result;
  };

  /** Scores the shadow's rows with the version that answered the client: models are deterministic, so this is its answer. */
  async function shadowComparison(data: PredictJobData, answeredBy: number, shadowPredictions: Prediction[]) {
    const answering = await models.get(data.model, answeredBy, tenantOf(data));
    return compareShadow(await batcher.predict(answering, data.inputs), shadowPredictions);
  }

  async function run({ data }: ParsedJob<'predict'>, attempt: Attempt, job: Job): Promise<PredictResult | EmbedDatasetResult> {
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
  }
}
