import type { LoadedModel } from '@trainyard/ml/predict';
import type { SemanticIndex } from '@trainyard/shared/cache';
import type { Prediction } from '@trainyard/shared/jobs';
import type { Logger } from '@trainyard/shared/platform';

/** A prediction borrowed from a similar cached text. */
export type SemanticPrediction = Prediction & { cached: 'semantic'; similarity: number; matched_input: string };

export interface SemanticAnswer {
  predictions: (Prediction | SemanticPrediction)[];
  /** True when every text was answered from a similar one. */
  allBorrowed: boolean;
}

/**
 * Answers texts from the semantic cache where it can: each text is embedded once; a text whose
 * nearest cached text is at least `threshold` similar takes that text's answer, the others run
 * through the model and join the index with the embedding just computed.
 */
export async function answerSemantically(
  target: { model: string; version: number; loaded: LoadedModel; texts: string[]; threshold: number },
  index: SemanticIndex,
  log: Logger,
): Promise<SemanticAnswer> {
  const { model, version, loaded, texts, threshold } = target;
  const embeddings = loaded.embed(texts);
  // An unreachable index costs the shortcut, not the task: every text then runs through the model.
  const matches = await index.nearest(model, version, embeddings).catch((error: unknown) => {
    log.warn({ err: error }, 'semantic cache unreachable');
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
  await index.add(model, version, added).catch((error: unknown) => log.warn({ err: error }, 'texts not added to the semantic cache'));
  return { predictions, allBorrowed: misses.length === 0 };
}
