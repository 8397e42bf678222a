import { defaultSemanticThreshold, type PredictionCache, type PredictionKeys } from '@trainyard/shared/cache';
import type { Prediction, PredictJobData, PredictRequest } from '@trainyard/shared/jobs';
import { isTextModel, type ModelInputSpec } from '@trainyard/shared/models';
import type { CacheTier } from '@trainyard/shared/metrics';
import { InvalidRequestError, type Logger } from '@trainyard/shared/platform';
import { newTaskId } from '@trainyard/shared/tasks';

/** A predict task answered from the cache: finished on arrival, never queued, so never stored either. */
export interface CachedPredictTask {
  task_id: string;
  type: 'predict';
  status: 'SUCCESS';
  result: { model: string; version: number; cached: true } & ({ predictions: Prediction[] } | { embeddings: number[][] });
  created_at: string;
  finished_at: string;
}

export interface PredictCacheDeps {
  predictions: PredictionCache;
  embeddings: PredictionCache<number[]>;
  log: Logger;
  metrics: { cacheLookups: { record(tier: CacheTier, hit: boolean): void } };
}

export interface PredictCachePlan {
  /** Which cache answers: predictions, or text embeddings. */
  output: PredictRequest['output'];
  keys: PredictionKeys;
  /** Identical requests in flight share the job queued under this id. */
  deduplicationId: string;
  /** What the worker needs besides the plain job data. */
  jobData: Pick<PredictJobData, 'semantic_threshold'>;
}

/**
 * How the cache takes part in a predict request, or null when it does not: "cache": false, or a
 * request to be notified (a cached answer would skip the notification).
 */
export function predictCachePlan(
  deps: PredictCacheDeps,
  tenant: string,
  request: Pick<PredictRequest, 'cache' | 'output' | 'notify'>,
  data: Pick<PredictJobData, 'model' | 'version' | 'inputs'>,
  model: ModelInputSpec,
): PredictCachePlan | null {
  if (request.cache === false || request.notify) return null;
  const { output } = request;
  const keys = (output === 'embedding' ? deps.embeddings : deps.predictions).forTenant(tenant).keysFor(data.model, data.version, data.inputs);
  if (typeof request.cache !== 'object') return { output, keys, deduplicationId: keys.batchId, jobData: {} };
  if (!isTextModel(model) || output === 'embedding') {
    const message = 'the semantic cache answers predictions of text models';
    throw new InvalidRequestError(`cache.semantic: ${message}`, [{ path: 'cache.semantic', message }]);
  }
  const threshold = request.cache.threshold ?? defaultSemanticThreshold;
  return { output, keys, deduplicationId: `${keys.batchId}:semantic:${threshold}`, jobData: { semantic_threshold: threshold } };
}

/**
 * The finished task when every row is cached, else null. An unreachable cache is a miss: the
 * queue still answers, only slower.
 */
export async function answerFromCache(deps: PredictCacheDeps, tenant: string, plan: PredictCachePlan): Promise<CachedPredictTask | null> {
  const { keys } = plan;
  let answer: { predictions: Prediction[] } | { embeddings: number[][] } | null;
  try {
    if (plan.output === 'embedding') {
      const embeddings = await deps.embeddings.forTenant(tenant).lookup(keys);
      answer = embeddings && { embeddings };
    } else {
      const predictions = await deps.predictions.forTenant(tenant).lookup(keys);
      answer = predictions && { predictions };
    }
  } catch (error) {
    deps.log.warn({ err: error }, 'prediction cache unreachable; answering through the queue');
    return null;
  }
  deps.metrics.cacheLookups.record(plan.output === 'embedding' ? 'embedding' : 'exact', answer !== null);
  if (!answer) return null;
  const now = new Date().toISOString();
  return {
    task_id: newTaskId('predict'),
    type: 'predict',
    status: 'SUCCESS',
    result: { model: keys.model, version: keys.version, ...answer, cached: true },
    created_at: now,
    finished_at: now,
  };
}
