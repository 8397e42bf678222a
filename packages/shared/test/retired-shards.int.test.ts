import { once } from 'node:events';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { deletePrefix, redisUrl, testPrefix } from '@trainyard/test-support/redis';
import { retiredShards } from '../src/jobs/shards.js';
import { shardPrefix } from '../src/platform/redis-url.js';

const prefix = testPrefix('retired-shards');
const redis = new Redis(redisUrl);
const queues: Queue[] = [];

afterAll(async () => {
  await Promise.all(queues.map((queue) => queue.close()));
  await deletePrefix(prefix);
  redis.disconnect();
});

const queueOf = (type: 'train' | 'predict', shard: number) => {
  const queue = new Queue(type, { connection: { url: redisUrl }, prefix: shardPrefix(prefix, shard) });
  queues.push(queue);
  return queue;
};

describe('retiredShards', () => {
  it('finds the shards from the count up to the most the deployment ran with whose queues still hold jobs, queued or kept, until they are empty', async () => {
    // A deployment that ran with 41 shards: its processes recorded it.
    expect(await retiredShards(redis, prefix, 41)).toEqual([]);
    const waiting = queueOf('predict', 2);
    await waiting.add('model.predict', {}, { priority: 5 });
    // Shard 40 holds only a failed job, kept for reading.
    const kept = queueOf('train', 40);
    const failing = new Worker('train', async () => Promise.reject(new Error('gone')), { connection: { url: redisUrl }, prefix: shardPrefix(prefix, 40) });
    const failed = once(failing, 'failed');
    await kept.add('model.train', {});
    await failed;
    await failing.close();
    expect(await kept.getJobCounts('wait', 'active', 'failed')).toEqual({ wait: 0, active: 0, failed: 1 });
    // A queue that never held a job, and one whose jobs are gone, hold nothing to drain or list.
    queueOf('predict', 7);
    const emptied = queueOf('train', 9);
    await emptied.add('model.train', {});
    await emptied.obliterate({ force: true });

    expect(await retiredShards(redis, prefix, 1)).toEqual([2, 40]);
    expect(await retiredShards(redis, prefix, 3)).toEqual([40]);
    expect(await retiredShards(redis, prefix, 41)).toEqual([]);
    // Beyond any count the deployment ran with, no shard is looked at.
    await queueOf('predict', 50).add('model.predict', {});
    expect(await retiredShards(redis, prefix, 1)).toEqual([2, 40]);

    await waiting.obliterate({ force: true });
    expect(await retiredShards(redis, prefix, 1)).toEqual([40]);
  });
});
