import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, waitForTask } from '@trainyard/test-support/http';
import { startApi, startWorker, type RunningProcess } from '@trainyard/test-support/processes';
import { deletePrefix, redisUrl, testPrefix } from '@trainyard/test-support/redis';
import { PrivateRedis } from '@trainyard/test-support/redis-server';

const prefix = testPrefix('predcache');
const storageDir = mkdtempSync(join(tmpdir(), 'ty-predcache-'));
const ttlSeconds = 3;
let cacheServer: PrivateRedis;
let cacheRedis: Redis;
let api: RunningProcess & { url: string };
let worker: RunningProcess;
let predictQueue: Queue;

/** Distinct flower measurements per test, so no test sees another's cache entries. */
let next = 0;
const flower = (): number[] => {
  next += 1;
  return [4 + next / 100, 3, 1.5 + next / 100, 0.2];
};

const predict = (body: Record<string, unknown>) => request(`${api.url}/v1/predict`, { body: { model: 'flowers', ...body } });

/** Predicts through the queue and waits for the answer, which fills the cache. */
async function predictAndWait(body: Record<string, unknown>) {
  const submitted = await predict(body);
  expect(submitted.status).toBe(202);
  return waitForTask(api.url, submitted.body.task_id, ['SUCCESS', 'FAILURE'], 30_000);
}

async function train(): Promise<number> {
  const submitted = await request(`${api.url}/v1/train`, {
    body: { model: 'flowers', algorithm: 'logistic-regression', dataset: { name: 'iris', target: 'species' }, params: { epochs: 3, seed: 1 } },
  });
  const task = await waitForTask(api.url, submitted.body.task_id, ['SUCCESS', 'FAILURE'], 60_000);
  expect(task.status).toBe('SUCCESS');
  return (task.result as { version: number }).version;
}

const completedPredictions = async () => (await predictQueue.getJobCounts('completed')).completed!;

beforeAll(async () => {
  cacheServer = await PrivateRedis.start();
  cacheRedis = new Redis(cacheServer.url);
  await cacheRedis.config('SET', 'maxmemory-policy', 'allkeys-lru');
  const env = {
    QUEUE_PREFIX: prefix,
    STORAGE_URL: `file://${storageDir}`,
    CACHE_REDIS_URL: cacheServer.url,
    PREDICT_CACHE_TTL: String(ttlSeconds),
  };
  [api, worker] = await Promise.all([startApi(env), startWorker({ ...env, MODEL_CACHE_STATS_S: '1' })]);
  predictQueue = new Queue('predict', { connection: { url: redisUrl }, prefix });
  expect(await train()).toBe(1);
});

afterAll(async () => {
  await Promise.all([api?.stop(), worker?.stop()]);
  await predictQueue?.close();
  cacheRedis?.disconnect();
  await cacheServer?.stop();
  await deletePrefix(prefix);
  rmSync(storageDir, { recursive: true, force: true });
});

describe('prediction cache', () => {
  it('answers a repeated prediction with 200 and a finished task, without a queue round trip', async () => {
    const rows = [flower(), flower()];
    const first = await predictAndWait({ inputs: rows });
    expect(first.status).toBe('SUCCESS');
    const before = await completedPredictions();

    const again = await predict({ inputs: rows });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ type: 'predict', status: 'SUCCESS', result: { model: 'flowers', version: 1, cached: true } });
    expect(again.body.task_id).toMatch(/^predict-[0-9a-f]{32}$/);
    expect(again.body.result.predictions).toEqual((first.result as { predictions: unknown[] }).predictions);
    expect(await completedPredictions()).toBe(before);
    // Never queued, yet its id reads back like any other task's (docs/caching.md).
    const read = await request(`${api.url}/v1/tasks/${again.body.task_id}`);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(again.body);
  });

  it('matches the same values sent as records keyed by feature name', async () => {
    const row = flower();
    await predictAndWait({ inputs: [row] });
    const [sepal_length, sepal_width, petal_length, petal_width] = row;
    const asRecord = await predict({ inputs: [{ petal_width, sepal_length, petal_length, sepal_width }] });
    expect(asRecord.status).toBe(200);
    expect(asRecord.body.result.cached).toBe(true);
  });

  it('runs a partly cached batch whole, after which each of its rows is cached', async () => {
    const [known, unknown] = [flower(), flower()];
    await predictAndWait({ inputs: [known] });
    const mixed = await predictAndWait({ inputs: [unknown, known] });
    expect(mixed.result).not.toHaveProperty('cached');
    const later = await predict({ inputs: [known, unknown, known] });
    expect(later.status).toBe(200);
    const [a, b] = (mixed.result as { predictions: unknown[] }).predictions;
    expect(later.body.result.predictions).toEqual([b, a, b]);
  });

  it('runs the model when the request says "cache": false', async () => {
    const rows = [flower()];
    await predictAndWait({ inputs: rows });
    const fresh = await predict({ inputs: rows, cache: false });
    expect(fresh.status).toBe(202);
    expect((await waitForTask(api.url, fresh.body.task_id)).status).toBe('SUCCESS');
  });

  it('refuses the semantic cache and embeddings for a model that does not read text', async () => {
    const semantic = await predict({ inputs: [flower()], cache: { semantic: true } });
    expect(semantic.status).toBe(400);
    expect(semantic.body.error.issues[0].path).toBe('cache.semantic');
    const embed = await request(`${api.url}/v1/embed`, { body: { model: 'flowers', dataset: 'iris' } });
    expect(embed.status).toBe(400);
  });

  it('forgets an answer after PREDICT_CACHE_TTL seconds', async () => {
    const rows = [flower()];
    await predictAndWait({ inputs: rows });
    expect((await predict({ inputs: rows })).status).toBe(200);
    await sleep(ttlSeconds * 1000 + 200);
    const expired = await predict({ inputs: rows });
    expect(expired.status).toBe(202);
    await waitForTask(api.url, expired.body.task_id);
  });

  it('gives identical predictions in flight one job, and a different one its own', async () => {
    const rows = [flower()];
    const before = await completedPredictions();
    await predictQueue.pause();
    const submitted = await Promise.all([predict({ inputs: rows }), predict({ inputs: rows }), predict({ inputs: [flower()] })]).finally(() =>
      predictQueue.resume(),
    );
    const [a, b, other] = submitted;
    expect(submitted.map((response) => response.status)).toEqual([202, 202, 202]);
    expect(b.body.task_id).toBe(a.body.task_id);
    expect(other.body.task_id).not.toBe(a.body.task_id);
    const finished = await Promise.all(submitted.map((response) => waitForTask(api.url, response.body.task_id)));
    expect(finished[1]).toEqual(finished[0]);
    expect(await completedPredictions()).toBe(before + 2);
  });

  it('drops entries on DELETE /v1/models/{name}/cache and says how many', async () => {
    await request(`${api.url}/v1/models/flowers/cache`, { method: 'DELETE' });
    const rows = [flower(), flower(), flower()];
    await predictAndWait({ inputs: rows });

    const one = await request(`${api.url}/v1/models/flowers/cache?version=1`, { method: 'DELETE' });
    expect(one).toMatchObject({ status: 200, body: { model: 'flowers', version: 1, dropped: 3 } });
    expect((await predict({ inputs: rows })).status).toBe(202);

    const bad = await request(`${api.url}/v1/models/flowers/cache?version=first`, { method: 'DELETE' });
    expect(bad.status).toBe(400);
  });

  it('keeps writing under memory pressure: the cache Redis evicts the least recently used keys', async () => {
    const used = Number(/used_memory:(\d+)/.exec(await cacheRedis.info('memory'))![1]);
    await cacheRedis.config('SET', 'maxmemory', String(used + 2 * 1024 * 1024));
    try {
      const filler = 'x'.repeat(10_000);
      for (let i = 0; i < 400; i++) await cacheRedis.set(`filler:${i}`, filler);
      expect(await cacheRedis.dbsize()).toBeLessThan(400);
      const rows = [flower()];
      await predictAndWait({ inputs: rows });
      expect((await predict({ inputs: rows })).status).toBe(200);
    } finally {
      await cacheRedis.config('SET', 'maxmemory', '0');
    }
  });

  it('never answers a new version from the old one, nor latest after a new training', async () => {
    const rows = [flower()];
    await predictAndWait({ inputs: rows, version: 1 });
    expect(await train()).toBe(2);
    const latest = await predict({ inputs: rows });
    expect(latest.status).toBe(202);
    const answered = await waitForTask(api.url, latest.body.task_id);
    expect(answered.result).toMatchObject({ version: 2 });
    const pinned = await predict({ inputs: rows, version: 1 });
    expect(pinned.status).toBe(200);
    expect(pinned.body.result.version).toBe(1);
  });

  it('drops a version\'s entries when the version is deleted', async () => {
    const rows = [flower(), flower()];
    await predictAndWait({ inputs: rows, version: 2 });
    const versionKeys = () => cacheRedis.keys(`${prefix}:cache:predict:flowers:2:*`);
    expect((await versionKeys()).length).toBeGreaterThanOrEqual(3);
    expect((await request(`${api.url}/v1/models/flowers/versions/2`, { method: 'DELETE' })).status).toBe(204);
    // Every row goes; the index stays, down to one member, until it expires.
    const index = `${prefix}:cache:predict:flowers:2:index`;
    expect(await versionKeys()).toEqual([index]);
    expect(await cacheRedis.zcard(index)).toBe(1);
    expect(await cacheRedis.ttl(index)).toBeGreaterThan(0);
    expect((await predict({ inputs: rows, version: 2 })).status).toBe(404);
  });

  it('loads a new version once in the worker however many predictions ask for it at once', async () => {
    const misses = async () => {
      await sleep(1_200);
      const line = worker.lines.filter((l) => l.includes('"model cache"')).at(-1)!;
      return (JSON.parse(line) as { modelCache: { misses: number } }).modelCache.misses;
    };
    const before = await misses();
    expect(await train()).toBe(3);
    const tasks = await Promise.all(Array.from({ length: 12 }, () => predict({ inputs: [flower()], version: 3 })));
    const done = await Promise.all(tasks.map((task) => waitForTask(api.url, task.body.task_id)));
    expect(done.every((task) => task.status === 'SUCCESS')).toBe(true);
    expect(await misses()).toBe(before + 1);
  });
});
