import type { Redis } from 'ioredis';
import type { Algorithm } from './jobs.js';
import type { ObjectStore } from './storage/index.js';
import { storageKeys } from './storage/keys.js';

export interface ModelVersion {
  model: string;
  version: number;
  algorithm: Algorithm;
  params: Record<string, unknown>;
  /** classification or regression, from the target column's type. */
  task: 'classification' | 'regression';
  feature_names: string[];
  /** Label classes in output order; classifiers only. */
  classes?: (string | number)[];
  metrics: Record<string, number>;
  size_bytes: number;
  training_task_id: string;
  created_at: string;
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

const claimVersion = `
local claimed = redis.call('HGET', KEYS[2], ARGV[1])
if claimed then return tonumber(claimed) end
local version = redis.call('INCR', KEYS[1])
redis.call('HSET', KEYS[2], ARGV[1], version)
return version`;

/**
 * Versions and metadata of trained models. Object storage is the source of truth (metadata.json
 * is written last, after the artifact, and marks a version as complete); Redis holds a
 * write-through copy for speed and the counter that hands out version numbers.
 */
export class ModelRegistry {
  constructor(
    private readonly redis: Redis,
    private readonly store: ObjectStore,
    private readonly prefix: string,
  ) {}

  private key(model: string, part: 'seq' | 'latest' | 'versions' | 'tasks'): string {
    return `${this.prefix}:model:${model}:${part}`;
  }

  /**
   * Hands out the version a training task writes. INCR is atomic across workers, and a retried task
   * gets its first number back, so a crash after upload never leaves a stray version. When Redis has
   * lost the counter, it is first re-seeded (SET NX, so concurrent seeders agree) from storage.
   */
  async versionFor(model: string, taskId: string): Promise<number> {
    const seq = this.key(model, 'seq');
    if (!(await this.redis.exists(seq))) {
      const stored = await this.storedVersions(model);
      await this.redis.set(seq, Math.max(0, ...stored), 'NX');
    }
    const version = await this.redis.eval(claimVersion, 2, seq, this.key(model, 'tasks'), taskId);
    return Number(version);
  }

  /** Records a finished version: storage first, then the Redis copy. */
  async publish(meta: ModelVersion): Promise<void> {
    await this.store.put(storageKeys.modelFile(meta.model, meta.version, 'metadata.json'), JSON.stringify(meta, null, 2));
    await this.cache(meta);
  }

  /** The given version, or the latest when none is given; null when there is no such model or version. */
  async get(model: string, version?: number): Promise<ModelVersion | null> {
    const cached =
      version === undefined
        ? await this.redis.get(this.key(model, 'latest'))
        : await this.redis.hget(this.key(model, 'versions'), String(version));
    if (cached) return JSON.parse(cached) as ModelVersion;
    return this.rebuild(model, version);
  }

  /** Version numbers present in storage, ascending. */
  async storedVersions(model: string): Promise<number[]> {
    const versions: number[] = [];
    for await (const object of this.store.list(storageKeys.modelPrefix(model))) {
      const match = /^models\/[^/]+\/(\d+)\/metadata\.json$/.exec(object.key);
      if (match) versions.push(Number(match[1]));
    }
    return versions.sort((a, b) => a - b);
  }

  /** Refills Redis for one model from storage, then answers from what storage holds. */
  private async rebuild(model: string, version?: number): Promise<ModelVersion | null> {
    const versions = await this.storedVersions(model);
    let found: ModelVersion | null = null;
    for (const v of versions) {
      const raw = await this.store.get(storageKeys.modelFile(model, v, 'metadata.json'));
      if (!raw) continue;
      const meta = JSON.parse(raw.toString('utf8')) as ModelVersion;
      await this.cache(meta);
      if (version === undefined || v === version) found = meta;
    }
    return found;
  }

  private async cache(meta: ModelVersion): Promise<void> {
    const json = JSON.stringify(meta);
    await this.redis
      .multi()
      .hset(this.key(meta.model, 'versions'), String(meta.version), json)
      .eval(raiseLatest, 1, this.key(meta.model, 'latest'), meta.version, json)
      .exec();
  }
}
