import { hash } from 'node:crypto';
import type { Prediction } from '../jobs/predict.js';
import type { RedisClient } from '../platform/redis.js';
import { defaultTenant, tenantKeyPrefix } from '../platform/tenants.js';
import { ExpiryRefresh } from '../platform/expiry-refresh.js';
import { singleOpScript, type ScriptOp, type ScriptOpKind } from '../platform/redis-batch.js';

// The one-shot hash: a Hash object per row costs about three times as much (every submit hashes its rows).
const sha256 = (text: string) => hash('sha256', text, 'hex');

/** Where one batch's rows live in the cache, and the id identical batches share while in flight. */
export interface PredictionKeys {
  model: string;
  version: number;
  rowHashes: string[];
  rowKeys: string[];
  /** BullMQ deduplication id: one job per identical (tenant, model, version, rows) batch in flight. */
  batchId: string;
}

// Drops one version's entries through its index, never by SCAN. Entry keys are built from the
// index members, so this needs a standalone Redis (not Cluster), as the cache is. The index itself
// stays, down to one member whose entry is gone, with its expiry: writers refresh that expiry only
// once a second (cachedRowsOp), which is sound for a key nothing deletes but its expiry (or an
// evicting cache Redis, which may evict it whatever its expiry). The version keeps its place in the
// versions set too, so a row cached right after the drop stays reachable by a drop of the model.
const dropVersionScript = `
local hashes = redis.call('ZRANGE', KEYS[1], 0, -1)
local dropped = 0
local batch = {}
for i, hash in ipairs(hashes) do
  batch[#batch + 1] = ARGV[1] .. hash
  if #batch == 500 or i == #hashes then
    dropped = dropped + redis.call('UNLINK', unpack(batch))
    batch = {}
  end
end
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -2)
return dropped`;

/** How often one process runs a version's upkeep (cachedRowsOp). */
const versionUpkeepMs = 1_000;

/**
 * Stores a batch's rows with the TTL and indexes them under their version, as one op. The version's
 * upkeep (expired rows out of its index, the index's expiry, the version in the model's versions
 * set) runs when asked, at most once a second per process and version: it keeps both keys a second
 * longer than the TTL, so they outlive every row written until the next upkeep. A process' first
 * write of a version runs it, and a drop leaves the index in place (dropVersionScript), so no index
 * lives without an expiry.
 * keys: version index, versions set, then one entry key per row.
 * args: ttl, now, expires-at, version, the keys' TTL in ms for the upkeep (0: none), then each row's hash,
 * then each row's value.
 */
export const cachedRowsOp: ScriptOpKind = {
  name: 'cached-rows',
  lua: `
local ttl, now, expiresAt, keptFor, rows = args[1], args[2], args[3], tonumber(args[5]), #keys - 2
for i = 1, rows do
  redis.call('SET', keys[i + 2], args[5 + rows + i], 'EX', ttl)
  redis.call('ZADD', keys[1], expiresAt, args[5 + i])
end
if keptFor > 0 then
  -- Expired rows leave the index here, so it stays as large as the live entries.
  redis.call('ZREMRANGEBYSCORE', keys[1], '-inf', now)
  redis.call('PEXPIRE', keys[1], keptFor)
  redis.call('ZADD', keys[2], now + keptFor, args[4])
  redis.call('ZREMRANGEBYSCORE', keys[2], '-inf', now)
  redis.call('PEXPIRE', keys[2], keptFor)
end
return rows`,
};

// lookup, and when every row is cached, the same answers kept under `keep` (a hash: the caller's
// `fields`, and `answers`, the rows' values as one JSON array) for `ttl` seconds; false on a miss.
// A Lua function, for scripts that look up along with other work (see answerOrAdmit).
export const lookupAndKeepLua = `
local function lookupAndKeep(keep, rowKeys, ttl, fields)
  local values = {}
  for i = 1, #rowKeys do
    local value = redis.call('GET', rowKeys[i])
    if not value then return false end
    values[i] = value
  end
  local answers = '[' .. table.concat(values, ',') .. ']'
  redis.call('HSET', keep, 'answers', answers, unpack(fields))
  redis.call('EXPIRE', keep, ttl)
  return answers
end`;


/** A record to keep beside a full cache hit, in the same command. */
export interface KeptAnswers {
  key: string;
  /** Written as hash fields with the answers (field `answers`). */
  fields: Record<string, string>;
  ttlSeconds: number;
}

/** The kept record's fields and values, one after the other, as HSET takes them. */
export const keptFields = (keep: KeptAnswers) => Object.entries(keep.fields).flat();

/**
 * Cache-aside answers, one entry per input row: predictions (namespace `predict`) or text embeddings
 * (namespace `embed`), keyed by model, version and the row's canonical
 * form (the feature values in the model's order, as JSON, hashed with SHA-256): a record input and
 * the same values as an array share an entry. Every entry has a TTL; an index per model version
 * (a sorted set of row hashes scored by expiry) lets a version's entries be dropped without SCAN.
 * Each tenant's entries live under its own keys.
 */
export class PredictionCache<T = Prediction> {
  private readonly storeRows;
  private readonly base: string;

  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly ttlSeconds: number,
    private readonly namespace: 'predict' | 'embed' = 'predict',
    readonly tenant = defaultTenant,
    /** When each version's upkeep is due: one schedule per process, shared by every tenant's view of the cache. */
    private readonly upkeep = new ExpiryRefresh(versionUpkeepMs),
  ) {
    this.storeRows = singleOpScript(redis, cachedRowsOp);
    this.base = `${tenantKeyPrefix(prefix, tenant)}:cache:${namespace}`;
  }

  /** The same cache, seen as another tenant's. */
  forTenant(tenant: string): PredictionCache<T> {
    return tenant === this.tenant ? this : new PredictionCache<T>(this.redis, this.prefix, this.ttlSeconds, this.namespace, tenant, this.upkeep);
  }

  private versionBase(model: string, version: number): string {
    return `${this.base}:${model}:${version}`;
  }

  private versionsKey(model: string): string {
    return `${this.base}:${model}:versions`;
  }

  keysFor(model: string, version: number, rows: readonly unknown[]): PredictionKeys {
    const rowHashes = rows.map((row) => sha256(JSON.stringify(row)));
    const base = `${this.versionBase(model, version)}:row:`;
    return {
      model,
      version,
      rowHashes,
      rowKeys: rowHashes.map((hash) => base + hash),
      batchId: `${this.tenant === defaultTenant ? '' : `t:${this.tenant}:`}${this.namespace}:${model}@${version}:${sha256(rowHashes.join(','))}`,
    };
  }

  /** Every row's prediction in one MGET, or null when any row is not cached (the batch then runs whole). */
  async lookup(keys: PredictionKeys): Promise<T[] | null> {
    const values = await this.redis.mget(keys.rowKeys);
    if (values.includes(null)) return null;
    return values.map((value) => JSON.parse(value!) as T);
  }

  /** Which rows are cached, in one MGET. */
  async lookupEach(keys: PredictionKeys): Promise<boolean[]> {
    const values = await this.redis.mget(keys.rowKeys);
    return values.map((value) => value !== null);
  }

  /** Writes each row's prediction with the TTL and indexes it under its version, as one command. */
  async store(keys: PredictionKeys, predictions: readonly T[]): Promise<void> {
    if (keys.rowKeys.length) await this.storeRows(this.storeOp(keys, predictions));
  }

  /** The store as an op, for a RedisBatch on the cache's connection. */
  storeOp(keys: PredictionKeys, predictions: readonly T[]): ScriptOp {
    const now = Date.now();
    const index = `${this.versionBase(keys.model, keys.version)}:index`;
    const keptFor = this.upkeep.ttlFor(index, this.ttlSeconds * 1000, now);
    return {
      kind: cachedRowsOp,
      keys: [index, this.versionsKey(keys.model), ...keys.rowKeys],
      args: [this.ttlSeconds, now, now + this.ttlSeconds * 1000, keys.version, keptFor, ...keys.rowHashes, ...predictions.map((prediction) => JSON.stringify(prediction))],
    };
  }

  /** Drops one version's entries; answers how many were still cached. */
  async dropVersion(model: string, version: number): Promise<number> {
    const base = this.versionBase(model, version);
    const dropped = await this.redis.eval(dropVersionScript, 1, `${base}:index`, `${base}:row:`);
    return Number(dropped);
  }

  /** Drops every version's entries of a model; answers how many were still cached. */
  async dropModel(model: string): Promise<number> {
    const versions = await this.redis.zrange(this.versionsKey(model), 0, -1);
    let dropped = 0;
    for (const version of versions) dropped += await this.dropVersion(model, Number(version));
    return dropped;
  }
}
