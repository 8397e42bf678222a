import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrivateRedis } from '@trainyard/test-support/redis-server';
import { coalesceWrites } from '../src/platform/coalesced-writes.js';

/** On a private redis-server: the test reads and resets the server's statistics of reads from clients. */
let server: PrivateRedis;
let coalesced: Redis;
let plain: Redis;
let chained: Redis;

beforeAll(async () => {
  server = await PrivateRedis.start();
  coalesced = new Redis(server.url);
  coalesceWrites(coalesced);
  chained = new Redis(server.url);
  coalesceWrites(chained, 'callback');
  plain = new Redis(server.url);
  await Promise.all([coalesced.ping(), chained.ping(), plain.ping()]);
});

afterAll(async () => {
  coalesced?.disconnect();
  chained?.disconnect();
  plain?.disconnect();
  await server?.stop();
});

/** Socket reads the server made since the counters were reset (its own INFO call is one of them). */
async function readsFor(redis: Redis, send: () => Promise<unknown>): Promise<number> {
  await plain.config('RESETSTAT');
  await send();
  const stats = await plain.info('stats');
  return Number(/total_reads_processed:(\d+)/.exec(stats)![1]) - 1;
}

const setMany = (redis: Redis, count: number) => Promise.all(Array.from({ length: count }, (_, i) => redis.set(`k${i}`, String(i))));

describe('coalesceWrites', () => {
  it('sends the commands of one turn of the event loop in one write, each answered as its own', async () => {
    expect(await readsFor(plain, () => setMany(plain, 50))).toBeGreaterThan(10);
    expect(await readsFor(coalesced, () => setMany(coalesced, 50))).toBeLessThanOrEqual(2);
    expect(await coalesced.mget(['k0', 'k49'])).toEqual(['0', '49']);
  });

  it('sends a lone command in the turn it was given, and goes on working after a reconnect', async () => {
    expect(await coalesced.incr('lone')).toBe(1);
    const ready = new Promise((resolve) => coalesced.once('ready', resolve));
    coalesced.disconnect(true);
    await ready;
    expect(await Promise.all([coalesced.incr('lone'), coalesced.incr('lone')])).toEqual([2, 3]);
  });

  it("with 'callback', commands given one after another through promise callbacks share one write", async () => {
    const chain = async () => {
      const sets: Promise<unknown>[] = [];
      for (let i = 0; i < 20; i++) {
        sets.push(chained.set(`chain${i}`, String(i)));
        await Promise.resolve();
      }
      await Promise.all(sets);
    };
    expect(await readsFor(chained, chain)).toBe(1);
    expect(await chained.mget(['chain0', 'chain19'])).toEqual(['0', '19']);
  });
});
