import { Router, type Request } from 'express';
import { z } from 'zod';
import { aliasTarget, type AliasRoute, type ModelRegistry, type ModelVersion, type RolloutStats } from '@trainyard/shared/models';
import { aliasName, InvalidRequestError, latestAlias, modelName, NotFoundError } from '@trainyard/shared/platform';
import type { AuditLog } from '../admin/audit.js';
import type { Access } from '../auth/access.js';
import { principalOf } from '../auth/principal.js';
import { dropCachedVersion, type CacheDropDeps } from '../cache/drop.js';
import { parseParam } from '../http/params.js';
import { parseBody, requireJsonBody } from '../http/validate.js';

export interface ModelRouterDeps extends CacheDropDeps {
  registry: ModelRegistry;
  rollouts: RolloutStats;
  access: Access;
  audit: AuditLog;
}

export const versionNumber = z.coerce.number().pipe(z.int().min(1));
/** A version path segment: a number, an alias or latest. */
export const versionRef = z.union([versionNumber, aliasName]);
/** The registry of the caller's tenant. */
export function modelRouter(deps: ModelRouterDeps): Router {
  const router = Router();
  const registryOf = (req: Request) => deps.registry.forTenant(principalOf(req).tenant);
  const versionTarget = (req: Request) => `${String(req.params.name)}@${String(req.params.version)}`;
  const aliasTargetOf = (req: Request) => `${String(req.params.name)}:${String(req.params.alias)}`;

  router.get('/v1/models', deps.access.requires('read'), async (req, res) => {
    res.json({ models: await registryOf(req).list() });
  });

  router.get('/v1/models/:name', deps.access.requires('read'), async (req, res) => {
    const name = parseParam(modelName, req.params.name, 'name');
    const model = await registryOf(req).details(name);
    if (!model) throw new NotFoundError(`no model named "${name}"`);
    res.json({ ...model, versions: model.versions.map((version) => withAliases(version, model.aliases, model.routes)) });
  });

  /** Per version of the alias: requests, latency percentiles, a shadow's agreement, shed copies. */
  router.get('/v1/models/:name/aliases/:alias/stats', deps.access.requires('read'), async (req, res) => {
    const name = parseParam(modelName, req.params.name, 'name');
    const alias = parseParam(aliasName, req.params.alias, 'alias');
    const { aliases, routes } = await registryOf(req).aliases(name);
    if (!Object.hasOwn(aliases, alias)) throw new NotFoundError(`model "${name}" has no alias "${alias}"`);
    const route = routes && Object.hasOwn(routes, alias) ? routes[alias]! : { versions: { [aliases[alias]!]: 1 } };
    res.json(await deps.rollouts.read(principalOf(req).tenant, name, alias, route));
  });

  router.get('/v1/models/:name/versions/:version', deps.access.requires('read'), async (req, res) => {
    const name = parseParam(modelName, req.params.name, 'name');
    const ref = parseParam(versionRef, req.params.version, 'version');
    const registry = registryOf(req);
    const version = await registry.resolve(name, ref);
    if (!version) throw new NotFoundError(`model "${name}" has no version ${ref}`);
    const { aliases, routes } = await registry.aliases(name);
    res.json(withAliases(version, aliases, routes));
  });

  router.delete('/v1/models/:name/versions/:version', deps.audit.records('model.version.delete', versionTarget), deps.access.requires('manage'), async (req, res) => {
    const name = parseParam(modelName, req.params.name, 'name');
    const version = parseParam(versionNumber, req.params.version, 'version');
    await registryOf(req).deleteVersion(name, version);
    // Its number is never handed out again, so the entries could only waste memory until their TTL.
    await dropCachedVersion(deps, principalOf(req).tenant, name, version);
    res.status(204).end();
  });

  router.put('/v1/models/:name/aliases/:alias', deps.audit.records('model.alias.set', aliasTargetOf), deps.access.requires('manage'), requireJsonBody, async (req, res) => {
    const name = parseParam(modelName, req.params.name, 'name');
    const alias = settableAlias(req.params.alias);
    const route = parseBody(aliasTarget, req);
    const saved = await registryOf(req).setAlias(name, alias, route);
    res.json({ model: name, alias, version: saved.aliases[alias], ...route, aliases: saved.aliases, routes: saved.routes ?? {}, updated_at: saved.updated_at });
  });

  router.delete('/v1/models/:name/aliases/:alias', deps.audit.records('model.alias.delete', aliasTargetOf), deps.access.requires('manage'), async (req, res) => {
    const name = parseParam(modelName, req.params.name, 'name');
    await registryOf(req).removeAlias(name, settableAlias(req.params.alias));
    res.status(204).end();
  });

  return router;
}

function settableAlias(value: unknown): string {
  const alias = parseParam(aliasName, value, 'alias');
  if (alias === latestAlias) throw new InvalidRequestError(`alias: "${latestAlias}" always means the newest version and cannot be set`, [{ path: 'alias', message: 'reserved' }]);
  return alias;
}

/** A version as the API shows it: its metadata and the aliases that answer with it (a split's every version). */
function withAliases(version: ModelVersion, aliases: Record<string, number>, routes: Record<string, AliasRoute> = {}) {
  const answersWith = (alias: string) =>
    Object.hasOwn(routes, alias) ? Object.hasOwn(routes[alias]!.versions, String(version.version)) : aliases[alias] === version.version;
  return { ...version, aliases: Object.keys(aliases).filter(answersWith) };
}
