import type { PredictionCache } from '@trainyard/shared/cache';
import type { Prediction } from '@trainyard/shared/jobs';
import type { RedisBatch } from '@trainyard/shared/platform';
import type { OutcomeWrite } from '../tasks/bookkeeping.js';

export interface AnswerCaches {
  predictions: PredictionCache;
  embeddings: PredictionCache<number[]>;
  /** Batches the writes to the caches' Redis (the task runtime's own batch when the cache shares the queue Redis). */
  writes: RedisBatch;
}

/**
 * The write that stores a task's answers in the cache with its SUCCESS, so once a client sees
 * SUCCESS the same rows are cache hits. A row answered from a similar text is not this text's own
 * answer: it never becomes an exact entry. None when no row is the task's own.
 */
export function answerWrites(
  caches: AnswerCaches,
  target: { model: string; version: number; inputs: readonly unknown[] },
  answers: { predictions: readonly Prediction[] } | { embeddings: number[][] },
): OutcomeWrite[] {
  const { model, version, inputs } = target;
  const label = `answers of ${model}@${version} not cached`;
  if ('embeddings' in answers) {
    if (!answers.embeddings.length) return [];
    return [{ batch: caches.writes, op: caches.embeddings.storeOp(caches.embeddings.keysFor(model, version, inputs), answers.embeddings), label }];
  }
  const own = answers.predictions.flatMap((prediction, i) => ('cached' in prediction ? [] : [i]));
  if (!own.length) return [];
  const keys = caches.predictions.keysFor(model, version, own.map((i) => inputs[i]!));
  return [{ batch: caches.writes, op: caches.predictions.storeOp(keys, own.map((i) => answers.predictions[i]!)), label }];
}
