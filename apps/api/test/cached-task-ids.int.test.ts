import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PredictionCache } from '@trainyard/shared/cache';
import type { TaskResource } from '@trainyard/shared/tasks';
import { request, waitForTask } from '@trainyard/test-support/http';
import { startApi, startWorker, type RunningProcess } from '@trainyard/test-support/processes';
import { deletePrefix, redisUrl, testPrefix } from '@trainyard/test-support/redis';
import { PrivateRedis } from '@trainyard/test-support/redis-server';
import { openSse } from '@trainyard/test-support/sse';
import { submit, tempStorage, trainIris } from '@trainyard/test-support/stack';

/**
 * A prediction answered from the cache is a task like any other: its id answers GET, the event
 * stream and cancel on any replica, for the retention time, and outlives the cached rows that
 * answered it. Run with the cache on the queue Redis (the default: the lookup keeps the task in
 * the same command) and on a Redis of its own (kept in a second command).
 */
describe.each([
  { cache: 'on the queue Redis', ownCacheRedis: false },
  { cache: 'on a Redis of its own', ownCacheRedis: true },
])('an id answered from the cache ($cache)', ({ ownCacheRedis }) => {
  const prefix = testPrefix('cachedids');
  const storage = tempStorage('cachedids');
  const retentionSeconds = 600;
  const cacheTtlSeconds = 2;
  let cacheServer: PrivateRedis | undefined;
  let cacheRedis: Redis;
  let replicaA: RunningProcess & { url: string };
  let replicaB: RunningProcess & { url: string };
  let worker: RunningProcess;
  let row = 0;
  const newRow = () => [5 + ++row / 100, 3.1, 1.5, 0.2];

  beforeAll(async () => {
    cacheServer = ownCacheRedis ? await PrivateRedis.start() : undefined;
    cacheRedis = new Redis(cacheServer?.url ?? redisUrl);
    const env = {
      QUEUE_PREFIX: prefix,
      STORAGE_URL: storage.url,
      PREDICT_CACHE_TTL: String(cacheTtlSeconds),
      TASK_RETENTION_S: String(retentionSeconds),
      ...(cacheServer ? { CACHE_REDIS_URL: cacheServer.url } : {}),
    };
    [replicaA, replicaB, worker] = await Promise.all([startApi(env), startApi(env), startWorker({ ...env, WORKER_QUEUES: 'train,predict' })]);
    const trained = await waitForTask(replicaA.url, await submit(replicaA.url, '/v1/train', trainIris('cached-ids', { epochs: 5 })));
    expect(trained.status).toBe('SUCCESS');
  });

  afterAll(async () => {
    await Promise.all([replicaA?.stop(), replicaB?.stop(), worker?.stop()]);
    cacheRedis?.disconnect();
    await cacheServer?.stop();
    await deletePrefix(prefix);
    storage.remove();
  });

  /** Predicts a row through the queue, then asks again: the second answer comes from the cache. */
  async function cachedAnswer(inputs = [newRow()]): Promise<{ queued: TaskResource; cached: { status: number; headers: Headers; body: TaskResource } }> {
    const queued = await waitForTask(replicaA.url, await submit(replicaA.url, '/v1/predict', { model: 'cached-ids', inputs }));
    expect(queued.status).toBe('SUCCESS');
    const cached = await request<TaskResource>(`${replicaA.url}/v1/predict`, { body: { model: 'cached-ids', inputs } });
    expect(cached.status).toBe(200);
    expect(cached.body).toMatchObject({ status: 'SUCCESS', result: { cached: true } });
    return { queued, cached };
  }

  it('answers GET on another replica with SUCCESS and the result, at the Location given', async () => {
    const { queued, cached } = await cachedAnswer();
    expect(cached.headers.get('location')).toBe(`/v1/tasks/${cached.body.task_id}`);
    const read = await request<TaskResource>(`${replicaB.url}${cached.headers.get('location')}`);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(cached.body);
    expect((read.body.result as { predictions: unknown }).predictions).toEqual((queued.result as { predictions: unknown }).predictions);
    const waited = await request<TaskResource>(`${replicaB.url}/v1/tasks/${cached.body.task_id}?wait=5`);
    expect(waited.status).toBe(200);
    expect(waited.body.status).toBe('SUCCESS');
  });

  it('replays its terminal status on the event stream of another replica, then ends', async () => {
    const { cached } = await cachedAnswer();
    const stream = await openSse(`${replicaB.url}/v1/tasks/${cached.body.task_id}/events`);
    expect(stream.status).toBe(200);
    const messages = await stream.rest();
    expect(messages).toEqual([expect.objectContaining({ event: 'status', data: expect.objectContaining({ task_id: cached.body.task_id, status: 'SUCCESS' }) })]);
  });

  it('refuses a cancel on another replica with 409, as for any finished task', async () => {
    const { cached } = await cachedAnswer();
    const cancel = await request(`${replicaB.url}/v1/tasks/${cached.body.task_id}/cancel`, { method: 'POST' });
    expect(cancel.status).toBe(409);
    expect(cancel.body.error.code).toBe('already_finished');
    expect((await request<TaskResource>(`${replicaB.url}/v1/tasks/${cached.body.task_id}`)).body.status).toBe('SUCCESS');
  });

  it('stays readable for the retention time, after the cached rows that answered it expired', async () => {
    const inputs = [newRow(), newRow()];
    const { queued, cached } = await cachedAnswer(inputs);
    const queueRedis = new Redis(redisUrl);
    try {
      expect(await queueRedis.ttl(`${prefix}:task:${cached.body.task_id}:answered`)).toBeGreaterThan(retentionSeconds - 60);
      // Wait for the rows to leave the cache (their TTL), then read the task again.
      const rows = new PredictionCache(cacheRedis, prefix, cacheTtlSeconds);
      const keys = rows.keysFor('cached-ids', (queued.result as { version: number }).version, inputs);
      for (const deadline = Date.now() + 20_000; (await rows.lookup(keys)) !== null; ) {
        expect(Date.now()).toBeLessThan(deadline);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const read = await request<TaskResource>(`${replicaB.url}/v1/tasks/${cached.body.task_id}`);
      expect(read.status).toBe(200);
      expect(read.body).toEqual(cached.body);
    } finally {
      queueRedis.disconnect();
    }
  });
});
