import type { Job } from 'bullmq';
import type { SemanticIndex } from '@trainyard/shared/cache-semantic';
import { DataError } from '@trainyard/shared/errors';
import { predictJobData, type Prediction, type PredictJobData, type PredictResult } from '@trainyard/shared/jobs';
import type { Logger } from '@trainyard/shared/logger';
import type { ModelCache } from '../predict/model-cache.js';
import { parseJobData } from '../task-lifecycle.js';

/** A prediction borrowed from a similar cached text. */
export type SemanticPrediction = Prediction & { cached: 'semantic'; similarity: number; matched_input: string };

/**
 * Predict tasks that opted into the semantic cache: each text is embedded once; a text whose nearest
 * cached text is at least `semantic_threshold` similar takes that text's answer, the others run
 * through the model and join the index with the embedding just computed. Other tasks go to `process`.
 */
export function answeringSemantically(
  process: (job: Job) => Promise<PredictResult>,
  models: ModelCache,
  index: SemanticIndex,
  log: Logger,
) {
  return async (job: Job): Promise<PredictResult> => {
    // Checked before parsing: every other predict task would otherwise pay for a second parse.
    if ((job.data as PredictJobData).semantic_threshold === undefined) return process(job);
    const { model, version, inputs, semantic_threshold: threshold } = parseJobData(predictJobData, job.data);
    if (threshold === undefined) return process(job);
    if (!inputs.every((input) => typeof input === 'string')) throw new DataError('the semantic cache is for text models');
    const texts = inputs as string[];
    const loaded = await models.get(model, version);
    const embeddings = loaded.embed(texts);
    // An unreachable index costs the shortcut, not the task: every text then runs through the model.
    const matches = await index.nearest(model, version, embeddings).catch((error: unknown) => {
      log.warn({ err: error, taskId: job.id }, 'semantic cache unreachable');
      return texts.map(() => null);
    });
    const misses = texts.flatMap((_, i) => ((matches[i]?.similarity ?? -1) >= threshold ? [] : [i]));
    const fresh = misses.length ? loaded.predict(misses.map((i) => texts[i]!)) : [];
    const freshAt = new Map(misses.map((row, k) => [row, fresh[k]!]));
    const predictions = texts.map((_, i): Prediction | SemanticPrediction => {
      const own = freshAt.get(i);
      if (own) return own;
      const { prediction, similarity, input } = matches[i]!;
      return { ...prediction, cached: 'semantic', similarity: Math.round(similarity * 10_000) / 10_000, matched_input: input };
    });
    const added = misses.map((i, k) => ({ input: texts[i]!, embedding: embeddings[i]!, prediction: fresh[k]! }));
    await index.add(model, version, added).catch((error: unknown) => log.warn({ err: error, taskId: job.id }, 'texts not added to the semantic cache'));
    return { model, version, predictions, ...(misses.length ? {} : { cached: 'semantic' as const }) };
  };
}
