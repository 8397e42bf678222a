import { defaultSemanticThreshold, type PredictionCache, type PredictionKeys } from '@trainyard/shared/cache';
import type { Prediction, PredictJobData, PredictRequest } from '@trainyard/shared/jobs';
import { isTextModel, type ModelInputSpec } from '@trainyard/shared/models';
import type { CacheTier } from '@trainyard/shared/metrics';
import { InvalidRequestError, type Logger } from '@trainyard/shared/platform';
import { newTaskId, type AnsweredTasks, type TaskResource } from '@trainyard/shared/tasks';

/** A predict task answered from the cache: finished on arrival, never queued, kept so its id reads back. */
export type CachedPredictTask = TaskResource & { status: 'SUCCESS' };

export interface PredictCacheDeps {
  predictions: PredictionCache;
  embeddings: PredictionCache<number[]>;
  answered: AnsweredTasks;
  /** The cache lives on the queue Redis: a full hit then keeps its task in the lookup's own command. */
  cacheOnQueueRedis: boolean;
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
 * The finished task when every row is cached, else null; the task is kept (AnsweredTasks) before it
 * is handed out, so GET, events and cancel find its id on any replica. An unreachable cache is a
 * miss: the queue still answers, only slower.
 */
export async function answerFromCache(deps: PredictCacheDeps, tenant: string, plan: PredictCachePlan): Promise<CachedPredictTask | null> {
  const { keys } = plan;
  const cache: PredictionCache<unknown> = (plan.output === 'embedding' ? deps.embeddings : deps.predictions).forTenant(tenant);
  const field = plan.output === 'embedding' ? 'embeddings' : 'predictions';
  const now = new Date().toISOString();
  const task: CachedPredictTask = {
    task_id: newTaskId('predict'),
    type: 'predict',
    status: 'SUCCESS',
    model: keys.model,
    version: keys.version,
    retry_of: null,
    retried_by: null,
    progress: null,
    // The answers join the result once read; the record keeps them in a field of their own.
    result: { model: keys.model, version: keys.version, cached: true } as TaskResource['result'],
    error: null,
    attempts: 0,
    failures: [],
    history: [],
    notifications: [],
    worker: null,
    created_at: now,
    started_at: now,
    finished_at: now,
  };
  let answers: unknown[] | null;
  try {
    answers = deps.cacheOnQueueRedis
      ? await cache.lookupAndKeep(keys, {
          key: deps.answered.key(task.task_id),
          fields: deps.answered.fields(task, tenant, field),
          ttlSeconds: deps.answered.retentionSeconds,
        })
      : await cache.lookup(keys);
  } catch (error) {
    deps.log.warn({ err: error }, 'prediction cache unreachable; answering through the queue');
    return null;
  }
  deps.metrics.cacheLookups.record(plan.output === 'embedding' ? 'embedding' : 'exact', answers !== null);
  if (!answers) return null;
  if (!deps.cacheOnQueueRedis) await deps.answered.keep(task, tenant, field, answers);
  const answered = { model: keys.model, version: keys.version, cached: true as const };
  return { ...task, result: field === 'embeddings' ? { ...answered, embeddings: answers as number[][] } : { ...answered, predictions: answers as Prediction[] } };
}
