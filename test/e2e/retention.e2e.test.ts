import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from '@trainyard/test-support/http';
import { startApi, startWorker, type RunningProcess } from '@trainyard/test-support/processes';
import { deletePrefix, redisUrl, testPrefix } from '@trainyard/test-support/redis';
import { inlineLine, pollUntil, submit, tempStorage } from '@trainyard/test-support/stack';

const prefix = testPrefix('retention');
const storage = tempStorage('retention');
const retentionSeconds = 3;
const retentionCount = 3;
let api: RunningProcess & { url: string };
let worker: RunningProcess;
const redis = new Redis(redisUrl);

beforeAll(async () => {
  const env = {
    QUEUE_PREFIX: prefix,
    STORAGE_URL: storage.url,
    TASK_RETENTION_S: String(retentionSeconds),
    TASK_RETENTION_COUNT: String(retentionCount),
  };
  [api, worker] = await Promise.all([startApi(env), startWorker(env)]);
});

afterAll(async () => {
  await Promise.all([api?.stop(), worker?.stop()]);
  await deletePrefix(prefix);
  redis.disconnect();
  storage.remove();
});

const statusOf = async (taskId: string) => (await request(`${api.url}/v1/tasks/${taskId}`)).status;

describe('retention of finished tasks', () => {
  it('keeps only the newest tasks per queue, then none once their time has passed', async () => {
    const trained = await submit(api.url, '/v1/train', { model: 'line', algorithm: 'linear-regression', dataset: inlineLine, params: { epochs: 5 } });
    expect((await pollUntil(api.url, trained, (t) => t.status === 'SUCCESS')).task.status).toBe('SUCCESS');

    const predictions: string[] = [];
    for (let i = 0; i < retentionCount + 3; i++) {
      const taskId = await submit(api.url, '/v1/predict', { model: 'line', inputs: [[i]] });
      await pollUntil(api.url, taskId, (t) => t.status === 'SUCCESS');
      predictions.push(taskId);
    }

    // Pruned by count: the oldest are gone from Redis, the newest still answer.
    const statuses = await Promise.all(predictions.map(statusOf));
    expect(statuses).toEqual([404, 404, 404, 200, 200, 200]);
    expect(await redis.zcard(`${prefix}:predict:completed`)).toBe(retentionCount);
    expect(await redis.exists(`${prefix}:predict:${predictions[0]}`)).toBe(0);
    const newest = predictions.at(-1)!;
    expect(await redis.ttl(`${prefix}:task:${newest}:events`)).toBeGreaterThan(0);

    // Pruned by age: past the retention time even the newest answer 404, and their event logs expire.
    await sleep(retentionSeconds * 1000 + 500);
    expect(await statusOf(newest)).toBe(404);
    expect(await statusOf(trained)).toBe(404);
    expect(await redis.exists(`${prefix}:task:${newest}:events`)).toBe(0);
    expect((await request(`${api.url}/v1/tasks/${newest}`)).body.error.code).toBe('not_found');
  });
});
