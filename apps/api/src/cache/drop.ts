import type { PredictionCache, SemanticIndex } from '@trainyard/shared/cache';
import type { ModelRegistry } from '@trainyard/shared/models';

export interface CacheDropDeps {
  predictions: PredictionCache;
  embeddings: PredictionCache<number[]>;
  semantic: SemanticIndex;
}

/** Drops one version's cached predictions, embeddings and semantic entries; answers how many there were. */
export async function dropCachedVersion(deps: CacheDropDeps, model: string, version: number): Promise<number> {
  const counts = await Promise.all([
    deps.predictions.dropVersion(model, version),
    deps.embeddings.dropVersion(model, version),
    deps.semantic.drop(model, version),
  ]);
  return counts.reduce((sum, n) => sum + n, 0);
}

/** Drops every version's cached answers of a model; answers how many there were. */
export async function dropCachedModel(deps: CacheDropDeps & { registry: ModelRegistry }, model: string): Promise<number> {
  // Semantic indexes exist for live versions only: a deleted version's went with it.
  const versions = await deps.registry.versions(model);
  const counts = await Promise.all([
    deps.predictions.dropModel(model),
    deps.embeddings.dropModel(model),
    ...versions.map((v) => deps.semantic.drop(model, v.version)),
  ]);
  return counts.reduce((sum, n) => sum + n, 0);
}
