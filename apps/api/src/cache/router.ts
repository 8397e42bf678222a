import { Router } from 'express';
import { z } from 'zod';
import type { ModelRegistry } from '@trainyard/shared/models';
import { modelName, NotFoundError } from '@trainyard/shared/platform';
import type { AuditLog } from '../admin/audit.js';
import type { Access } from '../auth/access.js';
import { principalOf } from '../auth/principal.js';
import { parseParam } from '../http/params.js';
import { dropCachedModel, dropCachedVersion, type CacheDropDeps } from './drop.js';

export interface CacheRouterDeps extends CacheDropDeps {
  registry: ModelRegistry;
  access: Access;
  audit: AuditLog;
}

export const dropQuery = z.object({ version: z.coerce.number().int().min(1).optional() });

export function cacheRouter(deps: CacheRouterDeps): Router {
  const router = Router();

  /** Drops a model's cached answers (one version with ?version=) and says how many there were; 404 for a model the tenant does not have. */
  router.delete('/v1/models/:name/cache', deps.audit.records('model.cache.drop', (req) => String(req.params.name)), deps.access.requires('manage'), async (req, res) => {
    const { tenant } = principalOf(req);
    const model = parseParam(modelName, req.params.name, 'name');
    const { version } = parseParam(dropQuery, req.query, 'version');
    const live = (await deps.registry.forTenant(tenant).versions(model)).map((v) => v.version);
    if (!live.length) throw new NotFoundError(`no model named "${model}"`);
    const dropped = version === undefined ? await dropCachedModel(deps, tenant, model, live) : await dropCachedVersion(deps, tenant, model, version);
    res.json({ model, version: version ?? null, dropped });
  });

  return router;
}
