import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { deletePrefix, redisUrl, testPrefix } from '@trainyard/test-support/redis';
import { SemanticIndex } from '../src/cache/semantic.js';

const prefix = testPrefix('semantic');
const redis = new Redis(redisUrl);
const other = new Redis(redisUrl);

afterAll(async () => {
  await deletePrefix(prefix);
  redis.disconnect();
  other.disconnect();
});

const billing = { label: 'billing', probabilities: { billing: 0.9, login: 0.1 } };
const login = { label: 'login', probabilities: { billing: 0.2, login: 0.8 } };

describe('SemanticIndex', () => {
  it('finds the most similar cached text by cosine, whatever the vectors\' lengths', async () => {
    const index = new SemanticIndex(redis, prefix, 60, 100);
    await index.add('tickets', 1, [
      { input: 'refund my invoice', embedding: [1, 0, 0], prediction: billing },
      { input: 'cannot log in', embedding: [0, 2, 0], prediction: login },
    ]);
    const [near, far, opposite] = await index.nearest('tickets', 1, [[10, 1, 0], [0, 0, 1], [-1, 0, 0]]);
    expect(near).toMatchObject({ input: 'refund my invoice', prediction: billing });
    expect(near!.similarity).toBeCloseTo(10 / Math.sqrt(101), 5);
    expect(far!.similarity).toBeCloseTo(0, 5);
    expect(opposite!.similarity).toBeLessThan(0.01);
    expect(await index.nearest('tickets', 2, [[1, 0, 0]])).toEqual([null]);
  });

  it('stores each text once, and another process sees what this one added', async () => {
    const writer = new SemanticIndex(redis, prefix, 60, 100);
    const reader = new SemanticIndex(other, prefix, 60, 100);
    expect((await reader.nearest('shared', 1, [[1, 0]]))[0]).toBeNull();
    expect(await writer.add('shared', 1, [{ input: 'a', embedding: [1, 0], prediction: billing }])).toBe(1);
    expect(await writer.add('shared', 1, [{ input: 'a', embedding: [1, 0], prediction: billing }])).toBe(0);
    expect(await writer.add('shared', 1, [{ input: 'b', embedding: [0, 1], prediction: login }])).toBe(1);
    const [match] = await reader.nearest('shared', 1, [[0.1, 1]]);
    expect(match).toMatchObject({ input: 'b', prediction: login });
    expect(await redis.llen(`${prefix}:cache:semantic:shared:1:entries`)).toBe(2);
  });

  it('stops adding at the cap and keeps every key on the TTL', async () => {
    const index = new SemanticIndex(redis, prefix, 30, 2);
    const entries = ['x', 'y', 'z'].map((input, i) => ({ input, embedding: [i, 1], prediction: billing }));
    expect(await index.add('capped', 1, entries)).toBe(2);
    for (const part of ['vectors', 'entries', 'seen', 'generation']) {
      expect(await redis.ttl(`${prefix}:cache:semantic:capped:1:${part}`)).toBeGreaterThan(25);
    }
  });

  it('notices a dropped and refilled index instead of mixing old and new entries', async () => {
    const index = new SemanticIndex(redis, prefix, 60, 100);
    const watcher = new SemanticIndex(other, prefix, 60, 100);
    await index.add('refill', 1, [{ input: 'old', embedding: [1, 0], prediction: billing }]);
    expect((await watcher.nearest('refill', 1, [[1, 0]]))[0]!.input).toBe('old');
    expect(await index.drop('refill', 1)).toBe(1);
    await index.add('refill', 1, [
      { input: 'new-a', embedding: [0, 1], prediction: login },
      { input: 'new-b', embedding: [1, 1], prediction: login },
    ]);
    const [match] = await watcher.nearest('refill', 1, [[1, 0]]);
    expect(match!.input).toBe('new-b');
  });
});
