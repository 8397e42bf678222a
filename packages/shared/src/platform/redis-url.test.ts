import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseEnv, redisEnv, withSlotPrefix } from './env.js';
import { hashSlot, parseRedisUrl, shardPrefix, slotPrefix } from './redis-url.js';

describe('parseRedisUrl', () => {
  it('keeps a server URL as it is', () => {
    expect(parseRedisUrl('rediss://user:secret@cache.example:6380/2')).toEqual({ kind: 'single', url: 'rediss://user:secret@cache.example:6380/2' });
  });

  it('reads a cluster URL into its seed nodes, credentials and TLS', () => {
    expect(parseRedisUrl('redis+cluster://10.0.0.1:7000,redis-b:7001')).toEqual({
      kind: 'cluster',
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: 'redis-b', port: 7001 },
      ],
      tls: false,
    });
    expect(parseRedisUrl('rediss+cluster://app:p%40ss@[::1]:7000/')).toEqual({
      kind: 'cluster',
      nodes: [{ host: '::1', port: 7000 }],
      username: 'app',
      password: 'p@ss',
      tls: true,
    });
  });

  it('names what is wrong with a malformed cluster URL', () => {
    expect(() => parseRedisUrl('redis+cluster://')).toThrow(/redis\+cluster:\/\/\[user:password@\]host:port/);
    expect(() => parseRedisUrl('redis+cluster://a:7000,b')).toThrow('"b" is not host:port');
    expect(() => parseRedisUrl('redis+cluster://a:70000')).toThrow('"a:70000" is not host:port');
  });
});

describe('the Redis settings', () => {
  const parse = (env: NodeJS.ProcessEnv) => withSlotPrefix(parseEnv(z.object(redisEnv.shape), env));

  it('keeps the key prefix on one server, so the key layout does not change', () => {
    expect(parse({}).QUEUE_PREFIX).toBe('trainyard');
    expect(parse({ REDIS_URL: 'redis://db:6379', QUEUE_PREFIX: 'team-a' }).QUEUE_PREFIX).toBe('team-a');
  });

  it('makes the prefix a hash tag on a cluster, unless it has one', () => {
    expect(parse({ REDIS_URL: 'redis+cluster://a:7000,b:7001' }).QUEUE_PREFIX).toBe('{trainyard}');
    expect(parse({ REDIS_URL: 'redis+cluster://a:7000', QUEUE_PREFIX: '{team}-a' }).QUEUE_PREFIX).toBe('{team}-a');
    expect(slotPrefix('redis+cluster://a:7000', 'x{}')).toBe('{x{}}');
  });

  it('refuses a URL of another scheme or a malformed cluster, naming the variable', () => {
    expect(() => parse({ REDIS_URL: 'http://db:6379' })).toThrow(/REDIS_URL: expected redis:\/\/, rediss:\/\/ or redis\+cluster:/);
    expect(() => parse({ REDIS_URL: 'redis+cluster://a' })).toThrow(/REDIS_URL: "a" is not host:port/);
    expect(() => parse({ REDIS_URL: 'not a url' })).toThrow(/REDIS_URL: not a URL/);
  });
});

describe('hashSlot', () => {
  it('is CRC16/XMODEM mod 16384, as Redis Cluster computes it', () => {
    // CRC16/XMODEM("123456789") is 0x31C3, the reference value of the Redis Cluster specification.
    expect(hashSlot('123456789')).toBe(0x31c3);
    expect(hashSlot('foo')).toBe(12182);
  });

  it('hashes only the tag when the key has a non-empty one', () => {
    expect(hashSlot('{trainyard}:train:42')).toBe(hashSlot('trainyard'));
    expect(hashSlot('{user1000}.following')).toBe(hashSlot('{user1000}.followers'));
    expect(hashSlot('{}x')).toBe(hashSlot('{}x'));
    expect(hashSlot('{}x')).not.toBe(hashSlot('x'));
  });
});

describe('shardPrefix', () => {
  it('is the prefix itself for shard 0, and prefix:s<n> on one server', () => {
    expect(shardPrefix('{trainyard}', 0)).toBe('{trainyard}');
    expect(shardPrefix('trainyard', 0)).toBe('trainyard');
    expect(shardPrefix('trainyard', 2)).toBe('trainyard:s2');
  });

  it('gives each shard a hash tag of its own, shards 0-2 a third of the slots apart', () => {
    for (const base of ['{trainyard}', 'x{team}-a']) {
      const slots = [0, 1, 2].map((shard) => hashSlot(shardPrefix(base, shard)));
      expect(shardPrefix(base, 1)).toMatch(/\{(trainyard|team):s1:\d+\}/);
      // Spaced by 16384/3 rounded: each third of an evenly split cluster holds one of them.
      expect([1, 2].map((shard) => (slots[shard]! - slots[0]! + 16_384) % 16_384)).toEqual([5461, 10923]);
    }
    expect(new Set([0, 1, 2, 3, 4].map((shard) => shardPrefix('{trainyard}', shard))).size).toBe(5);
  });
});
