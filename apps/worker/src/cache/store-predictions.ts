import type { Job } from 'bullmq';
import type { PredictionCache } from '@trainyard/shared/cache-predictions';
import type { PredictJobData, PredictResult } from '@trainyard/shared/jobs';
import type { Logger } from '@trainyard/shared/logger';

/**
 * Stores a predict task's answers (predictions or embeddings) in the cache before the task completes, so once a client sees
 * SUCCESS the same rows are cache hits. A cache that cannot be written costs speed, not the task.
 */
export function storingPredictions(
  process: (job: Job) => Promise<PredictResult>,
  caches: { predictions: PredictionCache; embeddings: PredictionCache<number[]> },
  log: Logger,
) {
  return async (job: Job): Promise<PredictResult> => {
    const result = await process(job);
    // process() validated the data already.
    const { model, version, inputs } = job.data as PredictJobData;
    if ('embeddings' in result) {
      await caches.embeddings
        .store(caches.embeddings.keysFor(model, version, inputs), result.embeddings)
        .catch((error: unknown) => log.warn({ err: error, taskId: job.id }, 'embeddings not cached'));
    } else {
      // A row answered from a similar text is not this text's own answer: it never becomes an exact entry.
      const own = result.predictions.flatMap((prediction, i) => ('cached' in prediction ? [] : [i]));
      await caches.predictions
        .store(
          caches.predictions.keysFor(model, version, own.map((i) => inputs[i]!)),
          own.map((i) => result.predictions[i]!),
        )
        .catch((error: unknown) => log.warn({ err: error, taskId: job.id }, 'predictions not cached'));
    }
    return result;
  };
}
