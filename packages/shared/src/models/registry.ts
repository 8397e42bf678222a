import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { algorithms, lossCurve, rowMetrics } from '../jobs/train.js';
import { AppError, ConflictError, InvalidRequestError, NotFoundError, UnavailableError } from '../platform/errors.js';
import { latestAlias } from '../platform/names.js';
import { defaultTenant, tenantKeyPrefix } from '../platform/tenants.js';
import type { ObjectStore } from '../storage/index.js';
import { storageKeys, type ModelFile, type StorageKeys } from '../storage/keys.js';
import { keysExistOp, type ScriptOp } from '../platform/redis-batch.js';
import { aliasRoute, chooseVersion, primaryVersion, type AliasRoute } from './routing.js';
import type { ChainableCommander } from 'ioredis';
import type { RedisClient } from '../platform/redis.js';
import { changedModel, modelChangesChannel, type KnownModels } from './known-models.js';

export const modelVersion = z.object({
  model: z.string(),
  version: z.int(),
  algorithm: z.enum(algorithms),
  params: z.record(z.string(), z.unknown()),
  /** classification or regression, from the target column's type. */
  task: z.enum(['classification', 'regression']),
  /** What predict takes: texts (text models, whose one feature is the text column) or feature rows. Absent means tabular. */
  input: z.enum(['text', 'tabular']).optional(),
  feature_names: z.array(z.string()),
  /** Label classes in output order; classifiers only. */
  classes: z.array(z.union([z.string(), z.number()])).optional(),
  /** What TrainResult.metrics holds: validation metrics when rows were held out, else training metrics. */
  metrics: z.record(z.string(), z.number()),
  /** Versions trained since the full-batch solvers; absent on older ones. The model fitted on the training split, on the held-out rows. */
  validation: rowMetrics.optional(),
  /** The published model on the rows it was fitted on, and whether it was refitted on every row. */
  training: rowMetrics.extend({ refit: z.boolean() }).optional(),
  loss_curve: lossCurve.optional(),
  /** sha256 of the training data as the worker read it (feature names, rows and target, or texts and target). */
  data_hash: z.string().optional(),
  warnings: z.array(z.string()).optional(),
  size_bytes: z.int(),
  training_task_id: z.string(),
  created_at: z.iso.datetime(),
});
export type ModelVersion = z.output<typeof modelVersion>;

/** Model-level pointers, stored as models/{name}/aliases.json. */
export const modelAliases = z.object({
  /** Each alias's version; for a split, the version with the largest weight. */
  aliases: z.record(z.string(), z.int()),
  /** Aliases that split traffic or have a shadow; absent in files written before rollouts. */
  routes: z.record(z.string(), aliasRoute).optional(),
  /** When an alias last changed; null while the model never had one. */
  updated_at: z.iso.datetime().nullable(),
});
export type ModelAliases = z.output<typeof modelAliases>;

export const modelSummary = z.object({
  name: z.string(),
  latest_version: z.int(),
  aliases: z.record(z.string(), z.int()),
  /** The newest of the last version's creation and the last alias change. */
  updated_at: z.iso.datetime(),
});
export type ModelSummary = z.output<typeof modelSummary>;

export const modelDetails = modelSummary.extend({ routes: z.record(z.string(), aliasRoute), versions: z.array(modelVersion) });
export type ModelDetails = z.output<typeof modelDetails>;

/** Where a predict request goes: the version that answers, and the alias's shadow if it has one. */
export interface RoutedVersion {
  version: ModelVersion;
  /** Set when the request named an alias with a route (a split or a shadow): its stats are recorded. */
  alias?: string;
  shadow?: number;
}

function sameInputs(a: ModelVersion, b: ModelVersion): boolean {
  return (a.input ?? 'tabular') === (b.input ?? 'tabular') && a.feature_names.join('\0') === b.feature_names.join('\0');
}

/**
 * Set when a version is deleted, for good (a deleted version never comes back): workers check it
 * before answering. A key, not a set member, so a worker's check of it and of the task's cancel flag
 * can be one EXISTS.
 */
export function deletedVersionKey(prefix: string, tenant: string, model: string, version: number): string {
  return `${tenantKeyPrefix(prefix, tenant)}:model:${model}:deleted:${version}`;
}

/** Why a task for a version deleted after it was queued does not answer (410, not retried). */
export function versionDeletedError(model: string, version: number): AppError {
  return new AppError('model_version_deleted', `version ${version} of model "${model}" was deleted after this task was queued`);
}

/** Whether a version was deleted, as an op of the worker's batched bookkeeping: 1 when it was. */
export function isDeletedOp(prefix: string, tenant: string, model: string, version: number): ScriptOp {
  return { kind: keysExistOp, keys: [deletedVersionKey(prefix, tenant, model, version)], args: [] };
}

// Raises the latest pointer only: a slow training that finishes late never moves `latest` back.
const raiseLatest = `
local current = redis.call('GET', KEYS[1])
if current then
  local decoded = cjson.decode(current)
  if tonumber(decoded.version) >= tonumber(ARGV[1]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[2])
return 1`;

// ARGV[2] is a version the task claimed earlier that was deleted since: the task gets a new one.
const claimVersion = `
local claimed = redis.call('HGET', KEYS[2], ARGV[1])
if claimed and claimed ~= ARGV[2] then return tonumber(claimed) end
local version = redis.call('INCR', KEYS[1])
redis.call('HSET', KEYS[2], ARGV[1], version)
return version`;

const releaseLock = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/** How long alias changes and deletions of one model wait for each other, and how long a lock may be held. */
const lockWaitMs = 5_000;
const lockTtlMs = 15_000;
/** Two runs of one training (a stalled task taken over while it still ran) publish one after the other. */
const publishLock = { waitMs: 60_000, ttlMs: 60_000 };

/** A version's file, below the tenant's models root. */
const versionKey = /^([^/]+)\/(\d+)\/([^/]+)$/;

/** What a training uploads: the artifact, before its metadata marks the version complete. */
export type ArtifactFiles = Record<Extract<ModelFile, 'model.json' | 'weights.bin'>, string | Uint8Array>;

/**
 * One tenant's trained models: versions and metadata. Object storage is the source of truth
 * (metadata.json is written last, after the artifact, and marks a version as complete, which is
 * then never overwritten); Redis holds a write-through copy for speed and the counter that hands
 * out version numbers. Every change to a model's versions or aliases is announced on
 * modelChangesChannel, for the processes that keep resolutions in memory (`known`, used by
 * resolve and route only: writes always read Redis).
 */
export class ModelRegistry {
  private readonly keys: StorageKeys;

  constructor(
    private readonly redis: RedisClient,
    private readonly store: ObjectStore,
    private readonly prefix: string,
    readonly tenant = defaultTenant,
    private readonly known?: KnownModels,
  ) {
    this.keys = storageKeys(tenant);
  }

  /** The same stores, seen as another tenant's registry. */
  forTenant(tenant: string): ModelRegistry {
    return tenant === this.tenant ? this : new ModelRegistry(this.redis, this.store, this.prefix, tenant, this.known);
  }

  private key(model: string, part: 'seq' | 'latest' | 'versions' | 'indexed' | 'tasks' | 'aliases' | 'lock' | `publish:${number}`): string {
    return `${tenantKeyPrefix(this.prefix, this.tenant)}:model:${model}:${part}`;
  }

  /**
   * Hands out the version a training task writes. INCR is atomic across workers, and a retried task
   * gets its first number back, so a crash after upload never leaves a stray version. When Redis has
   * lost the counter, it is first re-seeded (SET NX, so concurrent seeders agree) from storage: from
   * every number storage has seen, deleted versions and unfinished uploads included, so no number is
   * ever handed out twice (a worker may still cache the old model under it). A task whose version
   * was published and deleted since gets a new number: a deleted version never comes back.
   */
  async versionFor(model: string, taskId: string): Promise<number> {
    const seq = this.key(model, 'seq');
    if (!(await this.redis.exists(seq))) {
      await this.redis.set(seq, await this.highestUsedVersion(model), 'NX');
    }
    const claim = (deleted = '') => this.redis.eval(claimVersion, 2, seq, this.key(model, 'tasks'), taskId, deleted).then(Number);
    const version = await claim();
    if (!(await this.store.head(this.keys.modelFile(model, version, 'deleted.json')))) return version;
    return claim(String(version));
  }

  /** The version a task made, once it is complete: a rerun of a finished training answers with it. */
  async finishedVersionOf(model: string, taskId: string): Promise<ModelVersion | null> {
    const claimed = await this.redis.hget(this.key(model, 'tasks'), taskId);
    return claimed === null ? null : this.get(model, Number(claimed));
  }

  /**
   * Uploads a version's artifact, then publishes it, once: when the version is complete already
   * (another run of the same training got there first) nothing is written and the stored version is
   * the answer, so published weights never change. Stopped by `signal` during the upload, it
   * removes what it uploaded and throws the signal's reason.
   */
  async publishOnce(meta: ModelVersion, files: ArtifactFiles, signal?: AbortSignal): Promise<ModelVersion> {
    return this.locked(this.key(meta.model, `publish:${meta.version}`), publishLock, async () => {
      const published = await this.stored(meta.model, meta.version);
      if (published) return published;
      const names = Object.keys(files) as (keyof ArtifactFiles)[];
      const key = (file: ModelFile) => this.keys.modelFile(meta.model, meta.version, file);
      await Promise.all(names.map((file) => this.store.put(key(file), files[file])));
      if (signal?.aborted) {
        await Promise.all(names.map((file) => this.store.delete(key(file))));
        signal.throwIfAborted();
      }
      await this.publish(meta);
      return meta;
    });
  }

  /** Records a finished version: storage first, then the Redis copy. */
  async publish(meta: ModelVersion): Promise<void> {
    await this.store.put(this.keys.modelFile(meta.model, meta.version, 'metadata.json'), JSON.stringify(meta, null, 2));
    await this.cache(meta);
  }

  /** The given version, or the latest when none is given; null when there is no such model or version. */
  async get(model: string, version?: number): Promise<ModelVersion | null> {
    const cached =
      version === undefined
        ? await this.redis.get(this.key(model, 'latest'))
        : await this.redis.hget(this.key(model, 'versions'), String(version));
    if (cached) return JSON.parse(cached) as ModelVersion;
    // A complete index answers misses without touching storage; otherwise versions() rebuilds it.
    const all = await this.versions(model);
    const found = version === undefined ? all.at(-1) : all.find((meta) => meta.version === version);
    // Restores `latest` after a deletion dropped it; raise-only, so a newer publish always wins.
    if (version === undefined && found) await this.cache(found);
    return found ?? null;
  }

  /** A version by number, by alias, or `latest` (also when none is given); null when nothing matches. */
  async resolve(model: string, ref?: number | string): Promise<ModelVersion | null> {
    if (typeof ref === 'number') return this.knownVersion(model, ref);
    if (ref === undefined || ref === latestAlias) return this.knownVersion(model);
    const { aliases } = await this.knownAliases(model);
    // Own keys only: an alias named "constructor" is data, never something inherited.
    return Object.hasOwn(aliases, ref) ? this.knownVersion(model, aliases[ref]!) : null;
  }

  /**
   * The version a predict request goes to: like resolve, but an alias with a split picks one of its
   * versions (sticky per routing key) and names its shadow. The same reads as resolve.
   */
  async route(model: string, ref: number | string | undefined, routingKey?: string): Promise<RoutedVersion | null> {
    if (typeof ref !== 'string' || ref === latestAlias) {
      const version = await this.resolve(model, ref);
      return version && { version };
    }
    const { aliases, routes } = await this.knownAliases(model);
    if (!Object.hasOwn(aliases, ref)) return null;
    const route = routes && Object.hasOwn(routes, ref) ? routes[ref] : undefined;
    const version = await this.knownVersion(model, route ? chooseVersion(route.versions, routingKey) : aliases[ref]!);
    if (!version) return null;
    return route ? { version, alias: ref, ...(route.shadow === undefined ? {} : { shadow: route.shadow }) } : { version };
  }

  /** get, from what this process keeps in memory when it keeps resolutions. */
  private knownVersion(model: string, version?: number): Promise<ModelVersion | null> {
    if (!this.known) return this.get(model, version);
    return this.known.read(this.tenant, model, version === undefined ? 'latest' : `v${version}`, () => this.get(model, version));
  }

  /** aliases, from what this process keeps in memory when it keeps resolutions. */
  private async knownAliases(model: string): Promise<ModelAliases> {
    if (!this.known) return this.aliases(model);
    return (await this.known.read(this.tenant, model, 'aliases', () => this.aliases(model)))!;
  }

  /** Every version of a model, ascending; empty when there is none. */
  async versions(model: string): Promise<ModelVersion[]> {
    // The hash is complete only after a rebuild: a version published after a Redis flush is alone in it.
    const [[, indexed], [, all]] = (await this.redis
      .multi()
      .exists(this.key(model, 'indexed'))
      .hgetall(this.key(model, 'versions'))
      .exec()) as [[null, number], [null, Record<string, string>]];
    if (!indexed) return this.rebuild(model);
    return Object.values(all)
      .map((json) => JSON.parse(json) as ModelVersion)
      .sort((a, b) => a.version - b.version);
  }

  /** Names of models with at least one version, from storage (the source of truth), sorted. */
  async modelNames(): Promise<string[]> {
    const names = new Set<string>();
    for await (const object of this.store.list(this.keys.modelsRoot)) {
      const match = versionKey.exec(object.key.slice(this.keys.modelsRoot.length));
      if (match?.[3] === 'metadata.json') names.add(match[1]!);
    }
    return [...names].sort();
  }

  async list(): Promise<ModelSummary[]> {
    const summaries = await Promise.all((await this.modelNames()).map((name) => this.details(name)));
    return summaries.filter((model) => model !== null).map(({ versions: _versions, routes: _routes, ...summary }) => summary);
  }

  /** The model with every version; null when it has none. */
  async details(model: string): Promise<ModelDetails | null> {
    const [versions, { aliases, routes = {}, updated_at }] = await Promise.all([this.versions(model), this.aliases(model)]);
    const latest = versions.at(-1);
    if (!latest) return null;
    const changes = [...versions.map((v) => v.created_at), ...(updated_at ? [updated_at] : [])];
    return { name: model, latest_version: latest.version, aliases, routes, updated_at: changes.sort().at(-1)!, versions };
  }

  async aliases(model: string): Promise<ModelAliases> {
    const cached = await this.redis.get(this.key(model, 'aliases'));
    if (cached) return JSON.parse(cached) as ModelAliases;
    const stored = await this.store.get(this.keys.modelAliases(model));
    const aliases: ModelAliases = stored ? (JSON.parse(stored.toString('utf8')) as ModelAliases) : { aliases: {}, updated_at: null };
    await this.redis.set(this.key(model, 'aliases'), JSON.stringify(aliases));
    return aliases;
  }

  /**
   * Points an alias at an existing version, or splits it between versions with an optional shadow
   * (NotFoundError when a version does not exist); storage first, then Redis. A route of one version
   * and no shadow is stored as the plain pointer it is.
   */
  async setAlias(model: string, alias: string, target: number | AliasRoute): Promise<ModelAliases> {
    const route = typeof target === 'number' ? { versions: { [target]: 1 } } : target;
    const named = [...Object.keys(route.versions).map(Number), ...(route.shadow === undefined ? [] : [route.shadow])];
    return this.locked(this.key(model, 'lock'), undefined, async () => {
      const found: ModelVersion[] = [];
      for (const version of named) {
        const meta = await this.get(model, version);
        if (!meta) throw new NotFoundError(`model "${model}" has no version ${version}`);
        found.push(meta);
      }
      // A shadow gets the very rows the answering version got, so it must read them the same way.
      const shadow = route.shadow === undefined ? undefined : found.at(-1)!;
      const mismatch = shadow && found.slice(0, -1).find((meta) => !sameInputs(meta, shadow));
      if (shadow && mismatch) {
        const message = `version ${shadow.version} takes other inputs than version ${mismatch.version} (features or input kind differ)`;
        throw new InvalidRequestError(`shadow: ${message}`, [{ path: 'shadow', message }]);
      }
      const current = await this.aliases(model);
      const { [alias]: _replaced, ...routes } = current.routes ?? {};
      const plain = Object.keys(route.versions).length === 1 && route.shadow === undefined;
      return this.saveAliases(model, { ...current.aliases, [alias]: primaryVersion(route.versions) }, plain ? routes : { ...routes, [alias]: route });
    });
  }

  /** Removes an alias; NotFoundError when the model has no such alias. */
  async removeAlias(model: string, alias: string): Promise<ModelAliases> {
    return this.locked(this.key(model, 'lock'), undefined, async () => {
      const { aliases, routes = {} } = await this.aliases(model);
      if (!Object.hasOwn(aliases, alias)) throw new NotFoundError(`model "${model}" has no alias "${alias}"`);
      const { [alias]: _removed, ...rest } = aliases;
      const { [alias]: _route, ...otherRoutes } = routes;
      return this.saveAliases(model, rest, otherRoutes);
    });
  }

  /**
   * Deletes a version's artifact and registry entries, unless an alias points to it, routes traffic
   * to it or shadows with it (ConflictError). A tombstone is written first, so the number stays
   * taken even if Redis later loses the counter; its deleted-version key tells workers that still
   * hold the model in memory not to answer with it.
   */
  async deleteVersion(model: string, version: number): Promise<void> {
    await this.locked(this.key(model, 'lock'), undefined, async () => {
      if (!(await this.get(model, version))) throw new NotFoundError(`model "${model}" has no version ${version}`);
      const { aliases, routes = {} } = await this.aliases(model);
      const routesTo = (alias: string) => {
        const route = Object.hasOwn(routes, alias) ? routes[alias] : undefined;
        return route ? Object.hasOwn(route.versions, String(version)) || route.shadow === version : aliases[alias] === version;
      };
      const pointing = Object.keys(aliases).filter(routesTo);
      if (pointing.length) {
        throw new ConflictError('alias_in_use', `version ${version} of "${model}" is the target of ${pointing.join(', ')}; move or delete the alias first`);
      }
      const file = (name: ModelFile) => this.keys.modelFile(model, version, name);
      await this.store.put(file('deleted.json'), JSON.stringify({ model, version, deleted_at: new Date().toISOString() }));
      await this.redis.set(deletedVersionKey(this.prefix, this.tenant, model, version), '1');
      // metadata.json goes first: without it the version no longer exists, whatever else is left.
      await this.store.delete(file('metadata.json'));
      await Promise.all([this.store.delete(file('model.json')), this.store.delete(file('weights.bin'))]);
      // `latest` is rebuilt from what remains on the next read.
      await this.announced(model, this.redis.multi().hdel(this.key(model, 'versions'), String(version)).del(this.key(model, 'latest')));
    });
  }

  /** Version numbers present in storage, ascending. */
  /** Whether the version was deleted (a worker that still holds it in memory must not answer with it). */
  async wasDeleted(model: string, version: number): Promise<boolean> {
    return (await this.redis.exists(deletedVersionKey(this.prefix, this.tenant, model, version))) === 1;
  }

  async storedVersions(model: string): Promise<number[]> {
    const versions: number[] = [];
    for await (const object of this.store.list(this.keys.modelPrefix(model))) {
      const match = versionKey.exec(object.key.slice(this.keys.modelsRoot.length));
      if (match?.[3] === 'metadata.json') versions.push(Number(match[2]));
    }
    return versions.sort((a, b) => a - b);
  }

  /** The highest number any object in storage carries: published, deleted or half-uploaded. */
  private async highestUsedVersion(model: string): Promise<number> {
    let highest = 0;
    for await (const object of this.store.list(this.keys.modelPrefix(model))) {
      const match = versionKey.exec(object.key.slice(this.keys.modelsRoot.length));
      if (match) highest = Math.max(highest, Number(match[2]));
    }
    return highest;
  }

  /** Refills Redis for one model from storage and marks its version index complete; returns every version, ascending. */
  private async rebuild(model: string): Promise<ModelVersion[]> {
    const found: ModelVersion[] = [];
    for (const v of await this.storedVersions(model)) {
      const meta = await this.stored(model, v);
      if (!meta) continue;
      await this.cache(meta);
      found.push(meta);
    }
    await this.redis.set(this.key(model, 'indexed'), '1');
    return found;
  }

  /** A complete version as storage has it, or null. */
  private async stored(model: string, version: number): Promise<ModelVersion | null> {
    const raw = await this.store.get(this.keys.modelFile(model, version, 'metadata.json'));
    return raw ? (JSON.parse(raw.toString('utf8')) as ModelVersion) : null;
  }

  private async cache(meta: ModelVersion): Promise<void> {
    const json = JSON.stringify(meta);
    await this.announced(
      meta.model,
      this.redis
        .multi()
        .hset(this.key(meta.model, 'versions'), String(meta.version), json)
        .eval(raiseLatest, 1, this.key(meta.model, 'latest'), meta.version, json),
    );
  }

  private async saveAliases(model: string, aliases: Record<string, number>, routes: Record<string, AliasRoute>): Promise<ModelAliases> {
    const saved: ModelAliases = { aliases, routes, updated_at: new Date().toISOString() };
    await this.store.put(this.keys.modelAliases(model), JSON.stringify(saved, null, 2));
    await this.announced(model, this.redis.multi().set(this.key(model, 'aliases'), JSON.stringify(saved)));
    return saved;
  }

  /**
   * Runs a change to a model's Redis copy with the announcement of it in the same transaction, so
   * every process that keeps resolutions drops the model's right after; this one at once.
   */
  private async announced(model: string, change: ChainableCommander): Promise<void> {
    const message = changedModel(this.tenant, model);
    await change.publish(modelChangesChannel(this.prefix), message).exec();
    this.known?.changed(message);
  }

  /**
   * Runs `work` holding a lock across processes: alias changes and deletions of one model run one at
   * a time (no alias can come to point at a version being deleted, no alias change overwrites
   * another), and so do two publishes of one version.
   */
  private async locked<T>(key: string, { waitMs, ttlMs } = { waitMs: lockWaitMs, ttlMs: lockTtlMs }, work: () => Promise<T>): Promise<T> {
    const token = randomUUID();
    const deadline = Date.now() + waitMs;
    while (!(await this.redis.set(key, token, 'PX', ttlMs, 'NX'))) {
      if (Date.now() > deadline) throw new UnavailableError('the model is busy with another change; try again');
      await sleep(20);
    }
    try {
      return await work();
    } finally {
      await this.redis.eval(releaseLock, 1, key, token);
    }
  }
}
