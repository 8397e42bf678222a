import { Router } from 'express';
import { z } from 'zod';
import type { PredictionCache } from '@trainyard/shared/cache-predictions';
import { InvalidRequestError } from '@trainyard/shared/errors';
import { modelName } from '@trainyard/shared/names';

export interface CacheRouterDeps {
  predictions: PredictionCache;
}

const dropQuery = z.object({ version: z.coerce.number().int().min(1).optional() });

export function cacheRouter(deps: CacheRouterDeps): Router {
  const router = Router();

  /** Drops a model's cached predictions (one version with ?version=) and says how many there were. */
  router.delete('/v1/models/:name/cache', async (req, res) => {
    const model = modelName.safeParse(req.params.name);
    const query = dropQuery.safeParse(req.query);
    if (!model.success) throw new InvalidRequestError(`no model name: ${req.params.name}`, [{ path: 'name', message: 'not a model name' }]);
    if (!query.success) throw new InvalidRequestError('version: a version number is expected', [{ path: 'version', message: 'not a version number' }]);
    const { version } = query.data;
    const dropped = version === undefined ? await deps.predictions.dropModel(model.data) : await deps.predictions.dropVersion(model.data, version);
    res.json({ model: model.data, version: version ?? null, dropped });
  });

  return router;
}
