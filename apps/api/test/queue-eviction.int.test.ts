import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, startProcess } from '@trainyard/test-support/processes';
import { PrivateRedis } from '@trainyard/test-support/redis-server';

// Private Redis servers: the prefix only has to be valid, and no task is ever submitted.
const storageDir = mkdtempSync(join(tmpdir(), 'ty-eviction-'));
const env = (redis: PrivateRedis) => ({ REDIS_URL: redis.url, QUEUE_PREFIX: 'eviction', STORAGE_URL: `file://${storageDir}` });
let lru: PrivateRedis;

beforeAll(async () => {
  lru = await PrivateRedis.start();
  const admin = new Redis(lru.url);
  await admin.config('SET', 'maxmemory-policy', 'allkeys-lru');
  admin.disconnect();
});

afterAll(async () => {
  await lru?.stop();
  rmSync(storageDir, { recursive: true, force: true });
});

describe('a queue Redis that may evict keys', () => {
  it.each(['api', 'worker'] as const)('makes the %s refuse to start, saying why', async (entry) => {
    const child = startProcess(entry, env(lru));
    const [code] = await once(child.child, 'close');
    expect(code).toBe(1);
    const line = child.lines.find((l) => l.includes('has maxmemory-policy allkeys-lru'));
    expect(line).toMatch(/noeviction/);
    expect(line).toMatch(/QUEUE_REDIS_EVICTION=warn/);
  });

  it.each(['api', 'worker'] as const)('only makes the %s warn with QUEUE_REDIS_EVICTION=warn', async (entry) => {
    const child = startProcess(entry, { ...env(lru), QUEUE_REDIS_EVICTION: 'warn', WORKER_QUEUES: 'predict' });
    const warning = JSON.parse(await child.waitForLine(/has maxmemory-policy allkeys-lru/)) as { level: number };
    expect(warning.level).toBe(40);
    await child.waitForLine(entry === 'api' ? /api listening/ : /worker ready/, 30_000);
    await child.stop();
  });

  it('leaves a noeviction Redis alone, and says when the cache shares it', async () => {
    const queue = await PrivateRedis.start();
    try {
      const api = await startApi(env(queue));
      await api.waitForLine(/CACHE_REDIS_URL is not set/);
      await sleep(300);
      expect(api.lines.join('\n')).not.toMatch(/has maxmemory-policy/);
      await api.stop();
    } finally {
      await queue.stop();
    }
  });
});
