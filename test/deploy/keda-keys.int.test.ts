// The keys the worker pools' KEDA triggers read are where BullMQ 6 really keeps a queue's jobs, in
// every queue shard: a real queue and worker per shard on the shared Redis, measured the way KEDA's
// redis scaler measures a key.
import { once } from 'node:events';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { shardRange } from '@trainyard/shared/jobs';
import { shardPrefix } from '@trainyard/shared/platform';
import { deletePrefix, redisUrl, testPrefix } from '@trainyard/test-support/redis';
import { render, type Overlay } from './build.js';

const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
afterAll(() => redis.disconnect());

/** KEDA's redis trigger sizes a key by its type: LLEN for a list, ZCARD for a sorted set, 0 when absent. */
async function kedaLength(key: string): Promise<number> {
  const type = await redis.type(key);
  if (type === 'list') return redis.llen(key);
  if (type === 'zset') return redis.zcard(key);
  if (type === 'none') return 0;
  throw new Error(`${key} is a ${type}, which KEDA's redis trigger does not size`);
}

/**
 * A pool's triggers as KEDA would read them, with this run's prefix in place of the manifests':
 * the key under shard n's prefix of QUEUE_PREFIX is read under shard n's prefix of ours. A key
 * under no shard's prefix (a component that computed one wrong) fails here.
 */
function poolTriggers(overlay: Overlay, pool: string, prefix: string) {
  const build = render(overlay);
  const common = build.find((r) => r.kind === 'ConfigMap' && r.metadata.name.startsWith('trainyard-common-'))!.data as Record<string, string>;
  const shards = shardRange(Number(common.QUEUE_SHARDS ?? 1));
  const spec = build.find((r) => r.kind === 'ScaledObject' && r.metadata.name === `trainyard-worker-${pool}`)!.spec as {
    triggers: { name: string; metadata: { listName: string } }[];
    advanced: { scalingModifiers: { formula: string } };
  };
  const ours = (key: string) => {
    const shard = shards.find((n) => key.startsWith(`${shardPrefix(common.QUEUE_PREFIX!, n)}:`));
    if (shard === undefined) throw new Error(`${key} is under none of the prefixes of shards ${shards.join(', ')}`);
    return `${shardPrefix(prefix, shard)}${key.slice(shardPrefix(common.QUEUE_PREFIX!, shard).length)}`;
  };
  const keys = Object.fromEntries(spec.triggers.map((t) => [t.name, ours(t.metadata.listName)]));
  const formula = spec.advanced.scalingModifiers.formula;
  if (!/^\w+( \+ \w+)*$/.test(formula)) throw new Error(`formula "${formula}" is not a plain sum of triggers`);
  return { shards, keys, formula };
}

const cases = [
  ['production', 'predict'],
  ['production-cluster', 'train'],
  ['production-cluster', 'predict'],
] as const;

describe.each(cases)('overlays/%s: the %s pool', (overlay, pool) => {
  // Hash-tagged like the manifests' {trainyard}, so the keys and shard prefixes look as they will on a Redis Cluster.
  const prefix = `{${testPrefix('keda')}}`;
  const { shards, keys, formula } = poolTriggers(overlay, pool, prefix);
  afterAll(() => Promise.all(shards.map((shard) => deletePrefix(shardPrefix(prefix, shard)))));
  /** Every trigger's value, and the formula's sum of them: the demand KEDA scales on. */
  const demand = async () => {
    const values = Object.fromEntries(await Promise.all(Object.entries(keys).map(async ([name, key]) => [name, await kedaLength(key)] as const)));
    return { values, total: formula.split(' + ').reduce((sum, name) => sum + values[name]!, 0) };
  };

  it.each(shards)('scales on the keys where shard %i keeps waiting, prioritized and running jobs', async (shard) => {
    const own = (name: string) => (shard ? `${name}_s${shard}` : name);
    const none = Object.fromEntries(Object.keys(keys).map((name) => [name, 0]));
    const queue = new Queue(pool, { connection: redis, prefix: shardPrefix(prefix, shard) });
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const workerConnection = redis.duplicate();
    const worker = new Worker(pool, () => released, { connection: workerConnection, prefix: shardPrefix(prefix, shard), concurrency: 1, autorun: false });
    try {
      await queue.add('plain', {});
      await queue.add('urgent', {}, { priority: 1 });
      expect(await demand()).toEqual({ values: { ...none, [own('waiting')]: 1, [own('prioritized')]: 1 }, total: 2 });

      void worker.run();
      await once(worker, 'active');
      const { values, total } = await demand();
      expect(values[own('active')]).toBe(1);
      expect(values[own('waiting')]! + values[own('prioritized')]!).toBe(1);
      expect(total).toBe(2);

      let completed = 0;
      const bothDone = new Promise<void>((resolve) => worker.on('completed', () => ++completed === 2 && resolve()));
      release();
      await bothDone;
      expect(await demand()).toEqual({ values: none, total: 0 });
    } finally {
      release(); // a failed expectation must not leave the worker's close waiting for its job
      await worker.close();
      await queue.close();
      workerConnection.disconnect();
    }
  });
});
