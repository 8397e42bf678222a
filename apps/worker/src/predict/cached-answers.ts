import type { PredictionCache } from '@trainyard/shared/cache';
import type { Prediction } from '@trainyard/shared/jobs';
import type { Logger } from '@trainyard/shared/platform';

export interface AnswerCaches {
  predictions: PredictionCache;
  embeddings: PredictionCache<number[]>;
}

/**
 * Stores a task's answers in the cache before the task completes, so once a client sees SUCCESS
 * the same rows are cache hits. A row answered from a similar text is not this text's own answer:
 * it never becomes an exact entry. A cache that cannot be written costs speed, not the task.
 */
export async function cacheAnswers(
  caches: AnswerCaches,
  target: { model: string; version: number; inputs: readonly unknown[] },
  answers: { predictions: readonly Prediction[] } | { embeddings: number[][] },
  log: Logger,
): Promise<void> {
  const { model, version, inputs } = target;
  try {
    if ('embeddings' in answers) {
      await caches.embeddings.store(caches.embeddings.keysFor(model, version, inputs), answers.embeddings);
      return;
    }
    const own = answers.predictions.flatMap((prediction, i) => ('cached' in prediction ? [] : [i]));
    await caches.predictions.store(
      caches.predictions.keysFor(model, version, own.map((i) => inputs[i]!)),
      own.map((i) => answers.predictions[i]!),
    );
  } catch (error) {
    log.warn({ err: error, model, version }, 'answers not cached');
  }
}
