import type { Job } from 'bullmq';
import type { PredictionCache } from '@trainyard/shared/cache-predictions';
import type { PredictJobData, PredictResult } from '@trainyard/shared/jobs';
import type { Logger } from '@trainyard/shared/logger';

/**
 * Stores a predict task's answers in the cache before the task completes, so once a client sees
 * SUCCESS the same rows are cache hits. A cache that cannot be written costs speed, not the task.
 */
export function storingPredictions(process: (job: Job) => Promise<PredictResult>, cache: PredictionCache, log: Logger) {
  return async (job: Job): Promise<PredictResult> => {
    const result = await process(job);
    if ('predictions' in result) {
      // process() validated the data already.
      const { model, version, inputs } = job.data as PredictJobData;
      // A row answered from a similar text is not this text's own answer: it never becomes an exact entry.
      const own = result.predictions.flatMap((prediction, i) => ('cached' in prediction ? [] : [i]));
      await cache
        .store(
          cache.keysFor(model, version, own.map((i) => inputs[i]!)),
          own.map((i) => result.predictions[i]!),
        )
        .catch((error: unknown) => log.warn({ err: error, taskId: job.id }, 'predictions not cached'));
    }
    return result;
  };
}
