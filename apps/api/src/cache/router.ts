import { Router } from 'express';
import { z } from 'zod';
import type { PredictionCache } from '@trainyard/shared/cache-predictions';
import type { SemanticIndex } from '@trainyard/shared/cache-semantic';
import { InvalidRequestError } from '@trainyard/shared/errors';
import type { ModelRegistry } from '@trainyard/shared/model-registry';
import { modelName } from '@trainyard/shared/names';

export interface CacheDropDeps {
  predictions: PredictionCache;
  embeddings: PredictionCache<number[]>;
  semantic: SemanticIndex;
}

export interface CacheRouterDeps extends CacheDropDeps {
  registry: ModelRegistry;
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

const dropQuery = z.object({ version: z.coerce.number().int().min(1).optional() });

export function cacheRouter(deps: CacheRouterDeps): Router {
  const router = Router();

  /** Drops a model's cached answers (one version with ?version=) and says how many there were. */
  router.delete('/v1/models/:name/cache', async (req, res) => {
    const model = modelName.safeParse(req.params.name);
    const query = dropQuery.safeParse(req.query);
    if (!model.success) throw new InvalidRequestError(`no model name: ${req.params.name}`, [{ path: 'name', message: 'not a model name' }]);
    if (!query.success) throw new InvalidRequestError('version: a version number is expected', [{ path: 'version', message: 'not a version number' }]);
    const { version } = query.data;
    let dropped: number;
    if (version !== undefined) {
      dropped = await dropCachedVersion(deps, model.data, version);
    } else {
      // Semantic indexes exist for live versions only: a deleted version's went with it.
      const versions = await deps.registry.versions(model.data);
      const semantic = await Promise.all(versions.map((v) => deps.semantic.drop(model.data, v.version)));
      const [predictions, embeddings] = await Promise.all([deps.predictions.dropModel(model.data), deps.embeddings.dropModel(model.data)]);
      dropped = predictions + embeddings + semantic.reduce((sum, n) => sum + n, 0);
    }
    res.json({ model: model.data, version: version ?? null, dropped });
  });

  return router;
}
