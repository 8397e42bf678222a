import { Router } from 'express';
import { z } from 'zod';
import type { ModelRegistry } from '@trainyard/shared/models';
import { modelName } from '@trainyard/shared/platform';
import { parseParam } from '../http/params.js';
import { dropCachedModel, dropCachedVersion, type CacheDropDeps } from './drop.js';

export interface CacheRouterDeps extends CacheDropDeps {
  registry: ModelRegistry;
}

const dropQuery = z.object({ version: z.coerce.number().int().min(1).optional() });

export function cacheRouter(deps: CacheRouterDeps): Router {
  const router = Router();

  /** Drops a model's cached answers (one version with ?version=) and says how many there were. */
  router.delete('/v1/models/:name/cache', async (req, res) => {
    const model = parseParam(modelName, req.params.name, 'name');
    const { version } = parseParam(dropQuery, req.query, 'version');
    const dropped = version === undefined ? await dropCachedModel(deps, model) : await dropCachedVersion(deps, model, version);
    res.json({ model, version: version ?? null, dropped });
  });

  return router;
}
