import type { PredictionCache, PredictionKeys } from '@trainyard/shared/cache-predictions';
import type { Prediction } from '@trainyard/shared/jobs';
import type { Logger } from '@trainyard/shared/logger';
import { newTaskId } from '@trainyard/shared/tasks';

/** A predict task answered from the cache: finished on arrival, never queued, so never stored either. */
export interface CachedPredictTask {
  task_id: string;
  type: 'predict';
  status: 'SUCCESS';
  result: { model: string; version: number; predictions: Prediction[]; cached: true };
  created_at: string;
  finished_at: string;
}

export interface PredictCacheDeps {
  predictions: PredictionCache;
  log: Logger;
}

/**
 * The finished task when every row is cached, else null. An unreachable cache is a miss: the
 * queue still answers, only slower.
 */
export async function answerFromCache(deps: PredictCacheDeps, keys: PredictionKeys): Promise<CachedPredictTask | null> {
  let predictions: Prediction[] | null;
  try {
    predictions = await deps.predictions.lookup(keys);
  } catch (error) {
    deps.log.warn({ err: error }, 'prediction cache unreachable; answering through the queue');
    return null;
  }
  if (!predictions) return null;
  const now = new Date().toISOString();
  return {
    task_id: newTaskId('predict'),
    type: 'predict',
    status: 'SUCCESS',
    result: { model: keys.model, version: keys.version, predictions, cached: true },
    created_at: now,
    finished_at: now,
  };
}
