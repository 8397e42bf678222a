import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrivateRedis } from '@trainyard/test-support/redis-server';
import { RedisBatch, singleOpScript, type ScriptOpKind } from '../src/platform/redis-batch.js';

/** On a private redis-server: the test reads and resets the server's command statistics. */
let server: PrivateRedis;
let redis: Redis;

beforeAll(async () => {
  server = await PrivateRedis.start();
  redis = new Redis(server.url);
});

afterAll(async () => {
  redis?.disconnect();
  await server?.stop();
});

const push: ScriptOpKind = { name: 'push', lua: `return redis.call('RPUSH', keys[1], args[1])` };
const pushAll: ScriptOpKind = { name: 'push-all', lua: `local n = 0 for i = 1, #args do n = redis.call('RPUSH', keys[1], args[i]) end return n` };
const fail: ScriptOpKind = { name: 'fail', lua: `return redis.call('INCR', keys[1])` };

/** Calls per command since the last reset, from INFO commandstats. */
async function calls(): Promise<Record<string, number>> {
  const info = (await redis.info('commandstats')) as string;
  return Object.fromEntries([...info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)].map(([, name, count]) => [name!, Number(count)]));
}

describe('RedisBatch', () => {
  it('runs the ops asked for in one turn as one command, in order, each answering its own result', async () => {
    const batch = new RedisBatch(redis, [push, fail]);
    await redis.config('RESETSTAT');
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => batch.write({ kind: push, keys: ['list'], args: [`item-${i}`] })));
    expect(results).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(await redis.lrange('list', 0, -1)).toEqual(Array.from({ length: 50 }, (_, i) => `item-${i}`));
    const counted = await calls();
    expect((counted.evalsha ?? 0) + (counted.eval ?? 0)).toBe(1);
    expect(counted.rpush).toBe(50);
  });

  it('fails only the op whose Redis call failed', async () => {
    const batch = new RedisBatch(redis, [push, fail]);
    await redis.set('text', 'not a number');
    const [before, failed, after] = await Promise.allSettled([
      batch.write({ kind: push, keys: ['other'], args: ['a'] }),
      batch.write({ kind: fail, keys: ['text'], args: [] }),
      batch.write({ kind: push, keys: ['other'], args: ['b'] }),
    ]);
    expect(before).toEqual({ status: 'fulfilled', value: 1 });
    expect(failed).toMatchObject({ status: 'rejected', reason: { message: expect.stringContaining('not an integer') } });
    expect(after).toEqual({ status: 'fulfilled', value: 2 });
  });

  it('says when an op is on its way: a command sent after that on the same connection runs after it', async () => {
    const batch = new RedisBatch(redis, [push]);
    const { sent, done } = batch.send({ kind: push, keys: ['ordered'], args: ['first'] });
    await sent;
    const after = redis.rpush('ordered', 'second');
    expect(await done).toBe(1);
    expect(await after).toBe(2);
    expect(await redis.lrange('ordered', 0, -1)).toEqual(['first', 'second']);
  });

  it('runs guarded ops only when every check before them answers 0, in the same command', async () => {
    const check: ScriptOpKind = { name: 'check', lua: `return redis.call('EXISTS', keys[1])` };
    const batch = new RedisBatch(redis, [push, check]);
    await redis.set('flag-set', '1');
    await redis.config('RESETSTAT');
    const passed = batch.sendGuarded([{ kind: check, keys: ['flag-unset'], args: [] }], [{ kind: push, keys: ['guarded'], args: ['kept'] }]);
    const stopped = batch.sendGuarded(
      [
        { kind: check, keys: ['flag-set'], args: [] },
        { kind: check, keys: ['flag-unset'], args: [] },
      ],
      [{ kind: push, keys: ['guarded'], args: ['dropped'] }],
    );
    const after = batch.write({ kind: push, keys: ['guarded'], args: ['unguarded'] });
    expect(await Promise.all(passed.checks.map(({ done }) => done))).toEqual([0]);
    // The check that failed skips the later check too: each skipped op answers 0.
    expect(await Promise.all(stopped.checks.map(({ done }) => done))).toEqual([1, 0]);
    expect(await stopped.ops[0]!.done).toBe(0);
    expect(await after).toBe(2);
    expect(await redis.lrange('guarded', 0, -1)).toEqual(['kept', 'unguarded']);
    const counted = await calls();
    expect((counted.evalsha ?? 0) + (counted.eval ?? 0)).toBe(1);
  });

  it('skips guarded ops when their check fails', async () => {
    const batch = new RedisBatch(redis, [push, fail]);
    await redis.set('not-a-number', 'text');
    const { checks, ops } = batch.sendGuarded([{ kind: fail, keys: ['not-a-number'], args: [] }], [{ kind: push, keys: ['after-failure'], args: ['dropped'] }]);
    await expect(checks[0]!.done).rejects.toThrow(/not an integer/);
    expect(await ops[0]!.done).toBe(0);
    expect(await redis.exists('after-failure')).toBe(0);
  });

  it('refuses an op of a kind it was not built for', () => {
    const batch = new RedisBatch(redis, [push]);
    expect(() => batch.write({ kind: fail, keys: ['x'], args: [] })).toThrow(/no fail ops/);
  });

  it('splits a batch too large for one call into several, still in order', async () => {
    const batch = new RedisBatch(redis, [pushAll]);
    const value = 'x'.repeat(10);
    await redis.config('RESETSTAT');
    const many = Array.from({ length: 3 }, (_, i) => batch.write({ kind: pushAll, keys: ['big'], args: Array.from({ length: 30_000 }, () => `${value}${i}`) }));
    expect(await Promise.all(many)).toEqual([30_000, 60_000, 90_000]);
    expect(await redis.lindex('big', 0)).toBe(`${value}0`);
    expect(await redis.lindex('big', -1)).toBe(`${value}2`);
    expect((await calls()).evalsha ?? 0).toBeGreaterThan(1);
  });

  it('runs the same kind alone as one command of its own', async () => {
    expect(await singleOpScript(redis, push)({ kind: push, keys: ['alone'], args: ['only'] })).toBe(1);
  });
});
