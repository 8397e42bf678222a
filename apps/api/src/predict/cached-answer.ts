import { defaultSemanticThreshold, type PredictionCache, type PredictionKeys } from '@trainyard/shared/cache';
import type { Prediction, PredictJobData, PredictRequest } from '@trainyard/shared/jobs';
import { isTextModel, type ModelInputSpec } from '@trainyard/shared/models';
import type { CacheTier } from '@trainyard/shared/metrics';
import { InvalidRequestError, type Logger } from '@trainyard/shared/platform';
import type { AnsweredTasks, TaskResource } from '@trainyard/shared/tasks';

/** A predict task answered from the cache: finished on arrival, never queued, kept so its id reads back. */
export type CachedPredictTask = TaskResource & { status: 'SUCCESS' };

export interface PredictCacheDeps {
  predictions: PredictionCache;
  embeddings: PredictionCache<number[]>;
  answered: AnsweredTasks;
  /** The cache lives on the queue Redis: the lookup and the task's admission (or a full hit's record) then go as one command. */
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

/** The record field that carries a plan's answers: predictions, or embeddings. */
export const answersField = (plan: PredictCachePlan) => (plan.output === 'embedding' ? 'embeddings' : 'predictions');

/** A task answered from the cache, finished on arrival; `withAnswers` adds the rows' answers. */
export function cachedTask(plan: PredictCachePlan, taskId: string): CachedPredictTask {
  const { model, version } = plan.keys;
  const now = new Date().toISOString();
  return {
    task_id: taskId,
    type: 'predict',
    status: 'SUCCESS',
    model,
    version,
    retry_of: null,
    retried_by: null,
    progress: null,
    // The answers join the result once read; the record keeps them in a field of their own.
    result: { model, version, cached: true } as TaskResource['result'],
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
}

/** The task with its rows' answers in its result. */
export function withAnswers(task: CachedPredictTask, plan: PredictCachePlan, answers: unknown[]): CachedPredictTask {
  const answered = { model: plan.keys.model, version: plan.keys.version, cached: true as const };
  return {
    ...task,
    result: answersField(plan) === 'embeddings' ? { ...answered, embeddings: answers as number[][] } : { ...answered, predictions: answers as Prediction[] },
  };
}

/** Records whether the cache answered a lookup, by tier. */
export function recordLookup(deps: PredictCacheDeps, plan: PredictCachePlan, hit: boolean): void {
  deps.metrics.cacheLookups.record(plan.output === 'embedding' ? 'embedding' : 'exact', hit);
}

/**
 * For a cache on another Redis than the queue's, or a task of another queue shard than the cache's
 * (QUEUE_SHARDS): the finished task when every row is cached, else
 * null; the task is kept (AnsweredTasks) before it is handed out, so GET, events and cancel find its
 * id on any replica. An unreachable cache is a miss: the queue still answers, only slower. (With the
 * cache on the queue Redis, the lookup goes with the task's admission: see submitPredict.)
 */
export async function answerFromCache(deps: PredictCacheDeps, { tenant, taskId }: { tenant: string; taskId: string }, plan: PredictCachePlan): Promise<CachedPredictTask | null> {
  const cache: PredictionCache<unknown> = (plan.output === 'embedding' ? deps.embeddings : deps.predictions).forTenant(tenant);
  const task = cachedTask(plan, taskId);
  let answers: unknown[] | null;
  try {
    answers = await cache.lookup(plan.keys);
  } catch (error) {
    deps.log.warn({ err: error }, 'prediction cache unreachable; answering through the queue');
    return null;
  }
  recordLookup(deps, plan, answers !== null);
  if (!answers) return null;
  await deps.answered.keep(task, tenant, answersField(plan), answers);
  return withAnswers(task, plan, answers);
}
