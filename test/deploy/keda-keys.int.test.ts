// The keys the worker pools' KEDA triggers read are where BullMQ 6 really keeps a queue's jobs:
// a real queue and worker on the shared Redis, measured the way KEDA's redis scaler measures a key.
import { once } from 'node:events';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, expect, it } from 'vitest';
import { deletePrefix, redisUrl, testPrefix } from '@trainyard/test-support/redis';
import { render } from './build.js';

// Hash-tagged like the manifests' {trainyard}, so the keys look as they will on a Redis Cluster.
const prefix = `{${testPrefix('keda')}}`;
const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
afterAll(async () => {
  await deletePrefix(prefix);
  redis.disconnect();
});

/** KEDA's redis trigger sizes a key by its type: LLEN for a list, ZCARD for a sorted set, 0 when absent. */
async function kedaLength(key: string): Promise<number> {
  const type = await redis.type(key);
  if (type === 'list') return redis.llen(key);
  if (type === 'zset') return redis.zcard(key);
  if (type === 'none') return 0;
  throw new Error(`${key} is a ${type}, which KEDA's redis trigger does not size`);
}

it('the predict pool scales on the keys where BullMQ keeps waiting, prioritized and running jobs', async () => {
  const build = render('production');
  const manifestPrefix = (build.find((r) => r.kind === 'ConfigMap' && r.metadata.name.startsWith('trainyard-common-'))!.data as Record<string, string>).QUEUE_PREFIX!;
  const scaledObject = build.find((r) => r.kind === 'ScaledObject' && r.metadata.name === 'trainyard-worker-predict')!.spec as {
    triggers: { name: string; metadata: { listName: string } }[];
    advanced: { scalingModifiers: { formula: string } };
  };
  // The triggers' keys, with this run's prefix in place of the manifests'.
  const keys = Object.fromEntries(scaledObject.triggers.map((t) => [t.name, t.metadata.listName.replace(manifestPrefix, prefix)]));
  const demand = async () => Object.fromEntries(await Promise.all(Object.entries(keys).map(async ([name, key]) => [name, await kedaLength(key)] as const)));
  expect(scaledObject.advanced.scalingModifiers.formula).toBe('waiting + prioritized + active');

  const queue = new Queue('predict', { connection: redis, prefix });
  await queue.add('plain', {});
  await queue.add('urgent', {}, { priority: 1 });
  expect(await demand()).toEqual({ waiting: 1, prioritized: 1, active: 0 });

  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const workerConnection = redis.duplicate();
  const worker = new Worker('predict', () => released, { connection: workerConnection, prefix, concurrency: 1 });
  try {
    await once(worker, 'active');
    const running = await demand();
    expect(running.active).toBe(1);
    expect((running.waiting ?? 0) + (running.prioritized ?? 0)).toBe(1);

    let completed = 0;
    const bothDone = new Promise<void>((resolve) => worker.on('completed', () => ++completed === 2 && resolve()));
    release();
    await bothDone;
    expect(await demand()).toEqual({ waiting: 0, prioritized: 0, active: 0 });
  } finally {
    await worker.close();
    await queue.close();
    workerConnection.disconnect();
  }
});
