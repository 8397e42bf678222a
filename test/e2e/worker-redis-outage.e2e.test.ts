import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from '@trainyard/test-support/http';
import { startApi, startWorker, type RunningProcess } from '@trainyard/test-support/processes';
import { PrivateRedis } from '@trainyard/test-support/redis-server';
import { inlineLine, pollUntil, submit, tempStorage } from '@trainyard/test-support/stack';

const storage = tempStorage('worker-outage');
let redis: PrivateRedis;
let api: RunningProcess & { url: string };
let worker: RunningProcess;

beforeAll(async () => {
  redis = await PrivateRedis.start();
  const env = { REDIS_URL: redis.url, QUEUE_PREFIX: 'outage', STORAGE_URL: storage.url };
  [api, worker] = await Promise.all([startApi(env), startWorker(env)]);
});

afterAll(async () => {
  await Promise.all([api?.stop(), worker?.stop()]);
  await redis?.stop();
  storage.remove();
});

const training = { model: 'line', algorithm: 'linear-regression', dataset: inlineLine, params: { epochs: 20, seed: 1 } };
const finished = (task: { status: string }) => task.status === 'SUCCESS' || task.status === 'FAILURE';

describe('when the queue Redis restarts', () => {
  it('the worker takes new tasks again, and models trained before stay usable', async () => {
    const before = await submit(api.url, '/v1/train', training);
    expect((await pollUntil(api.url, before, finished)).task.status).toBe('SUCCESS');

    await redis.stop();
    // Long enough for the worker's blocking wait and the API's commands to fail and start reconnecting.
    await sleep(1_500);
    expect((await request(`${api.url}/v1/tasks/${before}`)).status).toBe(503);
    await redis.restart();

    // The restarted Redis is empty (no persistence): the API answers again once it has reconnected.
    let after: string | undefined;
    for (let i = 0; i < 100 && !after; i++) {
      const response = await request(`${api.url}/v1/train`, { body: training });
      if (response.status === 202) after = response.body.task_id;
      else await sleep(100);
    }
    expect(after).toBeDefined();
    const { task } = await pollUntil(api.url, after!, finished, 30_000);
    expect(task.status).toBe('SUCCESS');
    // Versions are re-counted from storage, the source of truth, not restarted at 1.
    expect(task.result).toMatchObject({ model: 'line', version: 2 });

    const prediction = await submit(api.url, '/v1/predict', { model: 'line', version: 1, inputs: [[10]] });
    const predicted = await pollUntil(api.url, prediction, finished);
    expect(predicted.task.status).toBe('SUCCESS');
    expect(predicted.task.result).toMatchObject({ version: 1, predictions: [{ value: expect.any(Number) }] });
    expect(worker.child.exitCode).toBeNull();
  });
});
