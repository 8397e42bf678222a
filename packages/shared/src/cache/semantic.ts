import { createHash, randomUUID } from 'node:crypto';
import type { Prediction } from '../jobs/predict.js';
import { defaultTenant, tenantKeyPrefix } from '../platform/tenants.js';
import type { RedisClient } from '../platform/redis.js';

/** Chosen from the paraphrase set in apps/api/test/semantic-cache.int.test.ts (see docs/caching.md). */
export const defaultSemanticThreshold = 0.9;

/** A cached text close enough to a new one to answer for it. */
export interface SemanticMatch {
  similarity: number;
  input: string;
  prediction: Prediction;
}

export interface SemanticEntry {
  input: string;
  embedding: readonly number[];
  prediction: Prediction;
}

export interface StoredEntry {
  input: string;
  prediction: Prediction;
}

/** One model version's index as this process last read it: unit vectors back to back, and their entries. */
interface Mirror {
  generation: string;
  vectors: Float32Array;
  entries: StoredEntry[];
}

// Adds each new text once (a set of text hashes guards it), up to the cap, and keeps the index alive for the TTL.
const addScript = `
redis.call('SET', KEYS[4], ARGV[3], 'NX')
local added = 0
for i = 4, #ARGV, 3 do
  if redis.call('LLEN', KEYS[2]) >= tonumber(ARGV[2]) then break end
  if redis.call('SADD', KEYS[3], ARGV[i]) == 1 then
    redis.call('APPEND', KEYS[1], ARGV[i + 1])
    redis.call('RPUSH', KEYS[2], ARGV[i + 2])
    added = added + 1
  end
end
for _, key in ipairs(KEYS) do redis.call('EXPIRE', key, ARGV[1]) end
return added`;

/**
 * The semantic cache's index per model version: each cached text's embedding, stored once as a unit
 * Float32 vector in one Redis string, next to a list of (text, prediction) in the same order. A
 * process keeps a mirror and reads only what other processes appended since (one round trip), so
 * a lookup never re-encodes a cached text and never transfers the whole index; it is a dot product
 * over a contiguous Float32Array. A generation id tells a mirror that the index was dropped or expired.
 * Each tenant's indexes live under its own keys; the views of every tenant share one set of mirrors.
 */
export class SemanticIndex {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly ttlSeconds: number,
    /** Entries per model version at most; later texts are answered but not added. */
    private readonly maxEntries = 10_000,
    readonly tenant = defaultTenant,
    private readonly mirrors = new Map<string, Mirror>(),
  ) {}

  /** The same index, seen as another tenant's. */
  forTenant(tenant: string): SemanticIndex {
    return tenant === this.tenant ? this : new SemanticIndex(this.redis, this.prefix, this.ttlSeconds, this.maxEntries, tenant, this.mirrors);
  }

  private keys(model: string, version: number) {
    const base = `${tenantKeyPrefix(this.prefix, this.tenant)}:cache:semantic:${model}:${version}`;
    return { vectors: `${base}:vectors`, entries: `${base}:entries`, seen: `${base}:seen`, generation: `${base}:generation` };
  }

  /** For each embedding, the most similar cached text (cosine), or null when the index is empty. */
  async nearest(model: string, version: number, embeddings: readonly (readonly number[])[]): Promise<(SemanticMatch | null)[]> {
    const mirror = await this.sync(model, version);
    return embeddings.map((embedding) => nearestIn(mirror.vectors, mirror.entries, unit(embedding)));
  }

  /** Adds texts not indexed yet; answers how many were new. */
  async add(model: string, version: number, entries: readonly SemanticEntry[]): Promise<number> {
    if (!entries.length) return 0;
    const keys = this.keys(model, version);
    const args = entries.flatMap(({ input, embedding, prediction }) => [
      createHash('sha256').update(input).digest('hex'),
      Buffer.from(unit(embedding).buffer),
      JSON.stringify({ input, prediction } satisfies StoredEntry),
    ]);
    const added = await this.redis.eval(
      addScript,
      4,
      keys.vectors,
      keys.entries,
      keys.seen,
      keys.generation,
      this.ttlSeconds,
      this.maxEntries,
      randomUUID(),
      ...args,
    );
    return Number(added);
  }

  async drop(model: string, version: number): Promise<number> {
    const keys = this.keys(model, version);
    const [[, count]] = (await this.redis.multi().llen(keys.entries).unlink(...Object.values(keys)).exec()) as [[null, number]];
    this.mirrors.delete(this.mirrorId(model, version));
    return count;
  }

  private mirrorId(model: string, version: number): string {
    return `${this.tenant}/${model}@${version}`;
  }

  /** Brings the mirror up to date with what every process added, in one transaction. */
  private async sync(model: string, version: number): Promise<Mirror> {
    const id = this.mirrorId(model, version);
    const keys = this.keys(model, version);
    let mirror = this.mirrors.get(id) ?? { generation: '', vectors: new Float32Array(0), entries: [] };
    const read = (from: Mirror) =>
      this.redis
        .multi()
        .get(keys.generation)
        .getrangeBuffer(keys.vectors, from.vectors.byteLength, -1)
        .lrange(keys.entries, from.entries.length, -1)
        .exec() as Promise<[[null, string | null], [null, Buffer], [null, string[]]]>;
    let [[, generation], [, bytes], [, entries]] = await read(mirror);
    if (generation !== mirror.generation && mirror.entries.length) {
      // Dropped or expired (and maybe refilled) since the last read: start over.
      mirror = { generation: '', vectors: new Float32Array(0), entries: [] };
      [[, generation], [, bytes], [, entries]] = await read(mirror);
    }
    if (!bytes.byteLength && !entries.length && (generation ?? '') === mirror.generation) return mirror;
    const vectors = new Float32Array(mirror.vectors.length + bytes.byteLength / 4);
    vectors.set(mirror.vectors);
    vectors.set(new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)), mirror.vectors.length);
    mirror = {
      generation: generation ?? '',
      vectors,
      entries: mirror.entries.concat(entries.map((json) => JSON.parse(json) as StoredEntry)),
    };
    this.mirrors.set(id, mirror);
    return mirror;
  }
}

/** The vector scaled to length 1, so a dot product is the cosine. */
export function unit(vector: readonly number[]): Float32Array {
  const out = Float32Array.from(vector);
  let norm = 0;
  for (const value of out) norm += value * value;
  norm = Math.sqrt(norm) || 1;
  for (let i = 0; i < out.length; i++) out[i] = out[i]! / norm;
  return out;
}

/** A linear scan: at 10,000 entries of 16 numbers this is 160,000 multiply-adds (see docs/caching.md). */
export function nearestIn(vectors: Float32Array, entries: readonly StoredEntry[], query: Float32Array): SemanticMatch | null {
  const dim = query.length;
  const count = Math.min(entries.length, vectors.length / dim);
  let best = -1;
  let bestScore = -Infinity;
  for (let row = 0, offset = 0; row < count; row++, offset += dim) {
    let score = 0;
    for (let i = 0; i < dim; i++) score += vectors[offset + i]! * query[i]!;
    if (score > bestScore) {
      bestScore = score;
      best = row;
    }
  }
  if (best < 0) return null;
  const { input, prediction } = entries[best]!;
  return { similarity: Math.min(1, bestScore), input, prediction };
}
