import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { deletePrefix, redisUrl, testPrefix } from '@trainyard/test-support/redis';
import { PredictionCache } from '../src/cache/predictions.js';

const prefix = testPrefix('predcache');
const redis = new Redis(redisUrl);
const cache = new PredictionCache(redis, prefix, 60);

afterAll(async () => {
  await deletePrefix(prefix);
  redis.disconnect();
});

const setosa = { label: 'setosa', probabilities: { setosa: 0.9, versicolor: 0.1 } };
const versicolor = { label: 'versicolor', probabilities: { setosa: 0.2, versicolor: 0.8 } };

describe('PredictionCache', () => {
  it('keys rows by model, version and content, and batches by all three', () => {
    const a = cache.keysFor('iris', 1, [[1, 2], [3, 4]]);
    expect(cache.keysFor('iris', 1, [[1, 2], [3, 4]])).toEqual(a);
    expect(cache.keysFor('iris', 2, [[1, 2], [3, 4]]).rowKeys[0]).not.toBe(a.rowKeys[0]);
    expect(cache.keysFor('other', 1, [[1, 2], [3, 4]]).rowKeys[0]).not.toBe(a.rowKeys[0]);
    expect(cache.keysFor('iris', 1, [[3, 4], [1, 2]]).rowKeys).toEqual([a.rowKeys[1], a.rowKeys[0]]);
    expect(cache.keysFor('iris', 1, [[3, 4], [1, 2]]).batchId).not.toBe(a.batchId);
    expect(cache.keysFor('iris', 1, [[1, 2.5]]).rowKeys[0]).not.toBe(a.rowKeys[0]);
  });

  it('answers a batch only when every row is cached, in the order asked', async () => {
    await cache.store(cache.keysFor('iris', 1, [[1, 2], [3, 4]]), [setosa, versicolor]);
    expect(await cache.lookup(cache.keysFor('iris', 1, [[3, 4], [1, 2], [3, 4]]))).toEqual([versicolor, setosa, versicolor]);
    expect(await cache.lookup(cache.keysFor('iris', 1, [[1, 2], [5, 6]]))).toBeNull();
    expect(await cache.lookup(cache.keysFor('iris', 2, [[1, 2]]))).toBeNull();
  });

  it('gives every entry and its index the TTL', async () => {
    const keys = cache.keysFor('ttl', 1, [[7]]);
    await cache.store(keys, [{ value: 7 }]);
    const ttl = await redis.ttl(keys.rowKeys[0]!);
    expect(ttl).toBeGreaterThan(55);
    expect(ttl).toBeLessThanOrEqual(60);
    expect(await redis.ttl(`${prefix}:cache:predict:ttl:1:index`)).toBeGreaterThan(55);
  });

  it('forgets an entry once its TTL passes, and drops it from the index on the next write', async () => {
    const short = new PredictionCache(redis, prefix, 1);
    await short.store(short.keysFor('short', 1, [[1]]), [{ value: 1 }]);
    await sleep(1_100);
    expect(await short.lookup(short.keysFor('short', 1, [[1]]))).toBeNull();
    await short.store(short.keysFor('short', 1, [[2]]), [{ value: 2 }]);
    expect(await redis.zcard(`${prefix}:cache:predict:short:1:index`)).toBe(1);
  });

  it('drops one version through its index and says how many entries went', async () => {
    await cache.store(cache.keysFor('drop', 1, [[1], [2], [3]]), [{ value: 1 }, { value: 2 }, { value: 3 }]);
    await cache.store(cache.keysFor('drop', 2, [[1]]), [{ value: 10 }]);
    expect(await cache.dropVersion('drop', 1)).toBe(3);
    expect(await cache.lookup(cache.keysFor('drop', 1, [[1]]))).toBeNull();
    expect(await cache.lookup(cache.keysFor('drop', 2, [[1]]))).toEqual([{ value: 10 }]);
    expect(await cache.dropVersion('drop', 1)).toBe(0);
  });

  it('keeps the index of a dropped version with its expiry for the rows written right after, and keeps it reachable by a drop of the model', async () => {
    const index = `${prefix}:cache:predict:redrop:1:index`;
    await cache.store(cache.keysFor('redrop', 1, [[1]]), [{ value: 1 }]);
    expect(await cache.dropVersion('redrop', 1)).toBe(1);
    // The index outlives the drop with its expiry: no write has to give it one.
    expect(await redis.ttl(index)).toBeGreaterThan(55);
    // Within the second, this write leaves the version's upkeep to the next one.
    await cache.store(cache.keysFor('redrop', 1, [[2]]), [{ value: 2 }]);
    expect(await redis.ttl(index)).toBeGreaterThan(55);
    expect(await cache.dropModel('redrop')).toBe(1);
  });

  it('drops every version of a model, and nothing of another model', async () => {
    await cache.store(cache.keysFor('all', 1, [[1], [2]]), [{ value: 1 }, { value: 2 }]);
    await cache.store(cache.keysFor('all', 3, [[1]]), [{ value: 3 }]);
    await cache.store(cache.keysFor('kept', 1, [[1]]), [{ value: 4 }]);
    expect(await cache.dropModel('all')).toBe(3);
    expect(await cache.lookup(cache.keysFor('all', 3, [[1]]))).toBeNull();
    expect(await cache.lookup(cache.keysFor('kept', 1, [[1]]))).toEqual([{ value: 4 }]);
    expect(await cache.dropModel('all')).toBe(0);
  });

  it('drops a version of more rows than one UNLINK call takes', async () => {
    const rows = Array.from({ length: 1_234 }, (_, i) => [i]);
    await cache.store(cache.keysFor('big', 1, rows), rows.map(([i]) => ({ value: i! })));
    expect(await cache.dropVersion('big', 1)).toBe(1_234);
  });
});
