import type { PredictionCache, SemanticIndex } from '@trainyard/shared/cache';

export interface CacheDropDeps {
  predictions: PredictionCache;
  embeddings: PredictionCache<number[]>;
  semantic: SemanticIndex;
}

/** Drops one version's cached predictions, embeddings and semantic entries of a tenant's model; answers how many there were. */
export async function dropCachedVersion(deps: CacheDropDeps, tenant: string, model: string, version: number): Promise<number> {
  const counts = await Promise.all([
    deps.predictions.forTenant(tenant).dropVersion(model, version),
    deps.embeddings.forTenant(tenant).dropVersion(model, version),
    deps.semantic.forTenant(tenant).drop(model, version),
  ]);
  return counts.reduce((sum, n) => sum + n, 0);
}

/** Drops every version's cached answers of a tenant's model, given its live versions; answers how many there were. */
export async function dropCachedModel(deps: CacheDropDeps, tenant: string, model: string, liveVersions: readonly number[]): Promise<number> {
  // Semantic indexes exist for live versions only: a deleted version's went with it.
  const semantic = deps.semantic.forTenant(tenant);
  const counts = await Promise.all([
    deps.predictions.forTenant(tenant).dropModel(model),
    deps.embeddings.forTenant(tenant).dropModel(model),
    ...liveVersions.map((version) => semantic.drop(model, version)),
  ]);
  return counts.reduce((sum, n) => sum + n, 0);
}
