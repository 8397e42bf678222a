import type { RedisClient } from '../platform/redis.js';
import type { ScriptOp, ScriptOpKind } from '../platform/redis-batch.js';
import { redisScript } from '../platform/redis.js';
import { tenantKeyPrefix } from '../platform/tenants.js';
import type { AliasRoute } from './routing.js';

/** Latencies kept per version of an alias: the newest, enough for a p95 that moves with the traffic. */
const latencySamples = 1_000;
/** A queued shadow copy not seen finishing this long after it was queued (its job failed or was removed) no longer counts. */
const shadowStaleMs = 10 * 60_000;

/** A version's role in an alias's traffic: answering requests, or shadowing them. */
export type RolloutRole = 'primary' | 'shadow';

/** How a shadow's predictions compare with the answering version's on the same inputs. */
export type ShadowComparison = { field: 'agreed' | 'abs_diff'; rows: number; value: number };

// KEYS: the alias's stats hash, the version's latency samples, the queued shadow copies (shadows only).
// ARGV: role:version, latency ms, samples kept, comparison field, rows compared, its value, shadow job id.
const recordLua = `
redis.call('HINCRBY', keys[1], args[1] .. ':requests', 1)
redis.call('LPUSH', keys[2], args[2])
redis.call('LTRIM', keys[2], 0, tonumber(args[3]) - 1)
if tonumber(args[5]) > 0 then
  redis.call('HINCRBY', keys[1], args[1] .. ':compared', args[5])
  redis.call('HINCRBYFLOAT', keys[1], args[1] .. ':' .. args[4], args[6])
end
if keys[3] then redis.call('ZREM', keys[3], args[7]) end`;

/** A routed prediction's figures: an op for the worker's batched bookkeeping, sent with the task's outcome. */
export const rolloutRecordOp: ScriptOpKind = { name: 'rollout-record', lua: recordLua };

// KEYS: the queued shadow copies, the alias's stats hash. ARGV: job id, now, stale before, backlog bound.
// Answers 1 when the copy may be queued, 0 when it is shed (and counted).
const admitShadowLua = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then
  redis.call('HINCRBY', KEYS[2], 'shed', 1)
  return 0
end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
return 1`;

// KEYS: the alias's stats hash. ARGV: role:version, requests the cache answered.
const addCachedLua = `
redis.call('HINCRBY', KEYS[1], ARGV[1] .. ':requests', ARGV[2])
redis.call('HINCRBY', KEYS[1], ARGV[1] .. ':cached', ARGV[2])`;

/** One version's figures under an alias. */
export interface VersionStats {
  version: number;
  role: RolloutRole;
  /** Every request the version answered (or, as a shadow, was copied). */
  requests: number;
  /** Primaries only: how many of `requests` the prediction cache answered in the API (never reaching a worker). */
  cached?: number;
  /** Worker-side latency of the prediction, over the newest samples; null before the first. */
  latency_ms: { p50: number; p95: number; samples: number } | null;
  /** Shadows only: how often they agree with the answering version (classifiers) or how far off they are (regressors). */
  agreement?: { compared: number; same_label_rate?: number; mean_absolute_difference?: number };
}

export interface AliasStats {
  model: string;
  alias: string;
  route: AliasRoute | null;
  /** Shadow copies dropped because SHADOW_MAX_BACKLOG copies were queued already. */
  shed: number;
  versions: VersionStats[];
}

/** The nearest-rank percentile of ascending numbers. */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/**
 * Per-version figures of the aliases that split or shadow traffic: counts and a bounded latency
 * sample per version, written by workers with each prediction's outcome, plus the requests the API
 * answered from the cache; shadow copies admitted by the API against a bounded backlog (beyond it
 * they are shed and counted).
 */
export class RolloutStats {
  private readonly admitScript: (...args: (string | number)[]) => Promise<unknown>;
  private readonly addCachedScript: (...args: (string | number)[]) => Promise<unknown>;

  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {
    this.admitScript = redisScript(redis, 'trainyard_admit_shadow', admitShadowLua);
    this.addCachedScript = redisScript(redis, 'trainyard_add_cached', addCachedLua);
  }

  private statsKey(tenant: string, model: string, alias: string): string {
    return `${tenantKeyPrefix(this.prefix, tenant)}:model:${model}:alias:${alias}:stats`;
  }

  private latencyKey(tenant: string, model: string, alias: string, role: RolloutRole, version: number): string {
    return `${tenantKeyPrefix(this.prefix, tenant)}:model:${model}:alias:${alias}:latency:${role}:${version}`;
  }

  private get queuedShadowsKey(): string {
    return `${this.prefix}:shadow:queued`;
  }

  /** Whether a shadow copy may be queued under `jobId`; false when the backlog is full (the copy is counted as shed). */
  async admitShadow(tenant: string, model: string, alias: string, jobId: string, maxBacklog: number): Promise<boolean> {
    const now = Date.now();
    return (await this.admitScript(2, this.queuedShadowsKey, this.statsKey(tenant, model, alias), jobId, now, now - shadowStaleMs, maxBacklog)) === 1;
  }

  /**
   * Requests to an alias that the prediction cache answered, counted by the API: each adds to its
   * version's requests and to its `cached` share. Commands of their own, one key each (a cluster's
   * slots never meet in one).
   */
  async addCached(counts: readonly { tenant: string; model: string; alias: string; version: number; requests: number }[]): Promise<void> {
    await Promise.all(
      counts.map(({ tenant, model, alias, version, requests }) =>
        this.addCachedScript(1, this.statsKey(tenant, model, alias), `primary:${version}`, requests),
      ),
    );
  }

  /** A routed prediction: counted, its latency sampled, a shadow's comparison added and its copy taken off the backlog. */
  recordOp(
    at: { tenant: string; model: string; alias: string; role: RolloutRole; version: number },
    latencyMs: number,
    shadow?: { jobId: string; comparison: ShadowComparison },
  ): ScriptOp {
    const { tenant, model, alias, role, version } = at;
    const keys = [this.statsKey(tenant, model, alias), this.latencyKey(tenant, model, alias, role, version), ...(shadow ? [this.queuedShadowsKey] : [])];
    const comparison = shadow?.comparison ?? { field: 'agreed', rows: 0, value: 0 };
    const args = [`${role}:${version}`, latencyMs.toFixed(3), latencySamples, comparison.field, comparison.rows, comparison.value, shadow?.jobId ?? ''];
    return { kind: rolloutRecordOp, keys, args };
  }

  async read(tenant: string, model: string, alias: string, route: AliasRoute | null): Promise<AliasStats> {
    const fields = await this.redis.hgetall(this.statsKey(tenant, model, alias));
    const seen = new Map<string, { role: RolloutRole; version: number }>();
    for (const field of Object.keys(fields)) {
      const match = /^(primary|shadow):(\d+):/.exec(field);
      if (match) seen.set(`${match[1]}:${match[2]}`, { role: match[1] as RolloutRole, version: Number(match[2]) });
    }
    const entries = [...seen.values()].sort((a, b) => (a.role === b.role ? a.version - b.version : a.role === 'primary' ? -1 : 1));
    const pipeline = this.redis.pipeline();
    for (const { role, version } of entries) pipeline.lrange(this.latencyKey(tenant, model, alias, role, version), 0, -1);
    const samples = ((await pipeline.exec()) ?? []).map(([, values]) => (values as string[]).map(Number).sort((a, b) => a - b));
    const count = (field: string) => Number(fields[field] ?? 0);
    const versions = entries.map(({ role, version }, i): VersionStats => {
      const sorted = samples[i] ?? [];
      const at = `${role}:${version}`;
      const latency = sorted.length ? { p50: percentile(sorted, 50), p95: percentile(sorted, 95), samples: sorted.length } : null;
      const stats: VersionStats = { version, role, requests: count(`${at}:requests`), latency_ms: latency };
      if (role === 'primary') stats.cached = count(`${at}:cached`);
      const compared = count(`${at}:compared`);
      if (role === 'shadow') {
        stats.agreement = { compared };
        if (compared && fields[`${at}:agreed`] !== undefined) stats.agreement.same_label_rate = count(`${at}:agreed`) / compared;
        if (compared && fields[`${at}:abs_diff`] !== undefined) stats.agreement.mean_absolute_difference = count(`${at}:abs_diff`) / compared;
      }
      return stats;
    });
    return { model, alias, route, shed: count('shed'), versions };
  }
}
