import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TaskResource } from '@trainyard/shared/tasks';
import { boardAuth, testAdminKey } from '@trainyard/test-support/auth';
import { request } from '@trainyard/test-support/http';
import { startApi, startWorker, type RunningProcess } from '@trainyard/test-support/processes';
import { deletePrefix, testPrefix } from '@trainyard/test-support/redis';
import { pollUntil, submit, tempStorage, trainIris, trainIrisNetwork } from '@trainyard/test-support/stack';

const prefix = testPrefix('e2e');
const storage = tempStorage('e2e');
const board = { user: 'ops', password: 'board-secret-1' };
let api: RunningProcess & { url: string };
/** A second replica, the one with Bull Board credentials. */
let otherApi: RunningProcess & { url: string };
let worker: RunningProcess;

beforeAll(async () => {
  const env = { QUEUE_PREFIX: prefix, STORAGE_URL: storage.url };
  [api, otherApi, worker] = await Promise.all([
    startApi(env),
    startApi({ ...env, BOARD_USER: board.user, BOARD_PASSWORD: board.password }),
    startWorker(env),
  ]);
});

afterAll(async () => {
  await Promise.all([api?.stop(), otherApi?.stop(), worker?.stop()]);
  await deletePrefix(prefix);
  storage.remove();
});

const setosa = [5.1, 3.5, 1.4, 0.2];
const virginica = [7.7, 3.0, 6.1, 2.3];
const asRecord = ([sepal_length, sepal_width, petal_length, petal_width]: number[]) => ({
  sepal_length,
  sepal_width,
  petal_length,
  petal_width,
});

/** A finished predict task: polled when queued (202), or answered at once from the prediction cache (200). */
async function predict(model: string, inputs: unknown[], version?: number): Promise<Pick<TaskResource, 'status' | 'result'>> {
  const submitted = await request(`${api.url}/v1/predict`, { body: { model, inputs, ...(version ? { version } : {}) } });
  if (submitted.status === 200) return submitted.body;
  expect(submitted.status).toBe(202);
  return (await pollUntil(api.url, submitted.body.task_id, (task) => task.status === 'SUCCESS' || task.status === 'FAILURE')).task;
}

let irisTaskId: string;

describe('iris with an MLP', () => {
  it('runs PENDING/STARTED → SUCCESS with progress, and learns the species', async () => {
    const submitted = await request(`${api.url}/v1/train`, { body: trainIrisNetwork('iris', { epochs: 150, batch_size: 16 }) });
    expect(submitted.status).toBe(202);
    expect(submitted.body.status).toBe('PENDING');
    expect(submitted.headers.get('location')).toBe(`/v1/tasks/${submitted.body.task_id}`);
    irisTaskId = submitted.body.task_id;

    const { task, seen } = await pollUntil(api.url, irisTaskId, (t) => t.status === 'SUCCESS' || t.status === 'FAILURE');
    expect(task.status).toBe('SUCCESS');
    expect(seen.every((t) => ['PENDING', 'STARTED', 'SUCCESS'].includes(t.status))).toBe(true);

    const running = seen.filter((t) => t.status === 'STARTED' && t.progress);
    expect(running.length).toBeGreaterThan(0);
    for (const { progress } of running) {
      // The first fit also reports the held-out rows' loss; the refit has none held out.
      const heldOut = progress!.phase === 'fit' ? { val_loss: expect.any(Number) } : {};
      expect(progress).toEqual({ percent: expect.any(Number), epoch: expect.any(Number), epochs: 150, loss: expect.any(Number), ...heldOut, phase: expect.stringMatching(/^(fit|refit)$/) });
      // The fit on the training split is the first half, the refit on every row the second.
      expect(progress!.percent).toBe(Math.round((progress!.phase === 'refit' ? 50 : 0) + (progress!.epoch / 150) * 50));
    }
    expect(running.some((t) => t.progress!.epoch < 150)).toBe(true);

    expect(task.attempts).toBe(1);
    expect(task.error).toBeNull();
    expect(task.failures).toEqual([]);
    expect(Date.parse(task.finished_at!)).toBeGreaterThanOrEqual(Date.parse(task.started_at!));
    const result = task.result as { model: string; version: number; algorithm: string; metrics: Record<string, number>; duration_ms: number };
    expect(result).toMatchObject({ model: 'iris', version: 1, algorithm: 'mlp' });
    expect(result.metrics.accuracy).toBeGreaterThanOrEqual(0.9);
    expect(result.metrics.f1_macro).toBeGreaterThan(0.85);
    expect(result.duration_ms).toBeGreaterThan(0);
  });

  it('predicts clear flowers from arrays and from records keyed by feature name', async () => {
    const fromArrays = await predict('iris', [setosa, virginica]);
    expect(fromArrays.status).toBe('SUCCESS');
    const result = fromArrays.result as { model: string; version: number; predictions: { label: string; probabilities: Record<string, number> }[] };
    expect(result.model).toBe('iris');
    expect(result.version).toBe(1);
    expect(result.predictions.map((p) => p.label)).toEqual(['setosa', 'virginica']);
    for (const { probabilities, label } of result.predictions) {
      expect(Object.keys(probabilities).sort()).toEqual(['setosa', 'versicolor', 'virginica']);
      expect(Object.values(probabilities).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 3);
      expect(probabilities[label]).toBeGreaterThan(0.5);
    }

    const fromRecords = await predict('iris', [asRecord(virginica), asRecord(setosa)]);
    expect((fromRecords.result as typeof result).predictions.map((p) => p.label)).toEqual(['virginica', 'setosa']);
  });

  it('shows the training’s log lines on Bull Board', async () => {
    const logs = await request(`${api.url}/admin/queues/api/queues/train/${irisTaskId}/logs`, { headers: boardAuth() });
    expect(logs.status).toBe(200);
    expect(logs.body).toContainEqual(expect.stringMatching(/^fit epoch 150\/150: loss \d/));
  });
});

describe('housing with linear regression', () => {
  it('fits price_k with R² ≥ 0.8 and predicts values', async () => {
    const taskId = await submit(api.url, '/v1/train', {
      model: 'housing',
      algorithm: 'linear-regression',
      dataset: { name: 'housing', target: 'price_k' },
      params: { epochs: 150, learning_rate: 0.1, seed: 3 },
    });
    const { task } = await pollUntil(api.url, taskId, (t) => t.status === 'SUCCESS' || t.status === 'FAILURE');
    expect(task.status).toBe('SUCCESS');
    const metrics = (task.result as { metrics: Record<string, number> }).metrics;
    expect(metrics.r2).toBeGreaterThanOrEqual(0.8);
    expect(metrics.rmse).toBeGreaterThan(0);

    // Rows from the sample: 333.8 and 544.6 thousand.
    const prediction = await predict('housing', [[100, 3, 19, 8.9], { area_m2: 212, rooms: 6, age_years: 83, distance_km: 19 }]);
    const values = (prediction.result as { predictions: { value: number }[] }).predictions;
    expect(values).toEqual([{ value: expect.any(Number) }, { value: expect.any(Number) }]);
    expect(values[0]!.value).toBeGreaterThan(333.8 * 0.75);
    expect(values[0]!.value).toBeLessThan(333.8 * 1.25);
    expect(values[1]!.value).toBeGreaterThan(values[0]!.value);
  });
});

describe('model versions', () => {
  it('a second training becomes the default for predict while version 1 stays usable', async () => {
    const trainOnce = async (seed: number) => {
      const taskId = await submit(api.url, '/v1/train', trainIris('versioned', { epochs: 40, seed }));
      return (await pollUntil(api.url, taskId, (t) => t.status === 'SUCCESS' || t.status === 'FAILURE')).task;
    };
    expect((await trainOnce(1)).result).toMatchObject({ version: 1 });
    expect((await predict('versioned', [setosa])).result).toMatchObject({ version: 1 });

    expect((await trainOnce(2)).result).toMatchObject({ version: 2 });
    expect((await predict('versioned', [setosa])).result).toMatchObject({ version: 2 });
    const pinned = await predict('versioned', [setosa], 1);
    expect(pinned.status).toBe('SUCCESS');
    expect(pinned.result).toMatchObject({ version: 1, predictions: [{ label: 'setosa' }] });
  });
});

describe('two API replicas', () => {
  it('answer identically for a finished task and for one submitted to the other replica', async () => {
    const a = await request(`${api.url}/v1/tasks/${irisTaskId}`);
    const b = await request(`${otherApi.url}/v1/tasks/${irisTaskId}`);
    expect(a.status).toBe(200);
    expect(b).toMatchObject({ status: a.status, body: a.body });

    // A row not predicted before, so the task is queued rather than answered from the prediction cache.
    const taskId = await submit(otherApi.url, '/v1/predict', { model: 'iris', inputs: [[5.0, 3.4, 1.5, 0.2]] });
    await pollUntil(otherApi.url, taskId, (t) => t.status === 'SUCCESS');
    const [fromA, fromB] = await Promise.all([api.url, otherApi.url].map((url) => request(`${url}/v1/tasks/${taskId}`)));
    expect(fromA.status).toBe(200);
    expect(fromA.body).toEqual(fromB!.body);
  });
});

describe('names that are also JavaScript property names', () => {
  it('are plain data: a dataset named constructor with features __proto__ and constructor trains and predicts from records', async () => {
    const rows = Array.from({ length: 12 }, (_, i) => `${i},${i % 3},${2 * i + 1}`);
    const uploaded = await request(`${api.url}/v1/datasets/constructor`, { method: 'PUT', body: `__proto__,constructor,y\n${rows.join('\n')}\n`, headers: { 'content-type': 'text/csv' } });
    expect(uploaded.status).toBe(201);
    expect(uploaded.body).toMatchObject({ name: 'constructor', builtin: false });
    const taskId = await submit(api.url, '/v1/train', { model: 'protos', algorithm: 'linear-regression', dataset: { name: 'constructor', target: 'y' }, params: { epochs: 5 } });
    const { task } = await pollUntil(api.url, taskId, (t) => t.status === 'SUCCESS' || t.status === 'FAILURE');
    expect(task.status).toBe('SUCCESS');
    const predicted = await request(`${api.url}/v1/predict`, { body: JSON.parse('{"model":"protos","inputs":[{"__proto__":3,"constructor":0}]}'), headers: { prefer: 'wait=30' } });
    expect(predicted.status).toBe(200);
    expect(predicted.body.result.predictions[0].value).toEqual(expect.any(Number));
    expect((await request(`${api.url}/v1/models/protos/aliases/constructor`, { method: 'DELETE' })).status).toBe(404);
    expect((await request(`${api.url}/v1/models/protos/versions/constructor`)).status).toBe(404);
  });
});

describe('a bad dataset', () => {
  it('put into storage by hand, is refused at submit (the API reads its shape for the cost caps), naming the row and the column', async () => {
    mkdirSync(join(storage.dir, 'datasets'), { recursive: true });
    writeFileSync(join(storage.dir, 'datasets', 'bad-sales.csv'), 'size,region,price\n10,1,100\n12,north,120\n14,3,140\n');
    const response = await request(`${api.url}/v1/train`, {
      body: { model: 'sales', algorithm: 'linear-regression', dataset: { name: 'bad-sales', target: 'price' }, params: { epochs: 5 } },
    });
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('invalid_data');
    expect(response.body.error.message).toMatch(/line 3\b.*column "region".*"north" is not a number/);
  });

  it('with numbers near the largest (±1e308), fails as diverged and publishes no model that could never predict', async () => {
    const taskId = await submit(api.url, '/v1/train', {
      model: 'overflow',
      algorithm: 'linear-regression',
      dataset: { inline: { features: [[1e308], [-1e308], [1], [2]], labels: [1, 2, 3, 4] } },
      params: { epochs: 5 },
    });
    const { task } = await pollUntil(api.url, taskId, (t) => t.status === 'SUCCESS' || t.status === 'FAILURE');
    expect(task).toMatchObject({ status: 'FAILURE', attempts: 1, error: { code: 'invalid_data', message: expect.stringMatching(/diverged/) } });
    expect((await request(`${api.url}/v1/models/overflow`)).status).toBe(404);
  });

  it('fails at once when inline labels are text for a regression', async () => {
    const taskId = await submit(api.url, '/v1/train', {
      model: 'sales',
      algorithm: 'linear-regression',
      dataset: { inline: { features: [[1], [2], [3]], labels: ['low', 'mid', 'high'] } },
      params: { epochs: 5 },
    });
    const { task } = await pollUntil(api.url, taskId, (t) => t.status === 'SUCCESS' || t.status === 'FAILURE');
    expect(task).toMatchObject({ status: 'FAILURE', attempts: 1, error: { code: 'invalid_data' } });
    expect(task.error?.message).toMatch(/numeric target.*"low"/);
  });
});

describe('Bull Board', () => {
  it('serves the board to an admin API key and lists every queue', async () => {
    const authorization = `Basic ${Buffer.from(`anyone:${testAdminKey}`).toString('base64')}`;
    const page = await fetch(`${api.url}/admin/queues`, { headers: { authorization } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(await page.text()).toMatch(/<html/i);

    const queues = await request(`${api.url}/admin/queues/api/queues`, { headers: { authorization } });
    expect(queues.status).toBe(200);
    expect(queues.body.queues.map((q: { name: string }) => q.name).sort()).toEqual(['batch', 'batch-chunks', 'notify', 'predict', 'train']);
  });

  it('asks for basic auth when credentials are configured', async () => {
    const anonymous = await fetch(`${otherApi.url}/admin/queues`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic /);
    const wrong = await fetch(`${otherApi.url}/admin/queues/api/queues`, {
      headers: { authorization: `Basic ${Buffer.from(`${board.user}:nope`).toString('base64')}` },
    });
    expect(wrong.status).toBe(401);

    const authorization = `Basic ${Buffer.from(`${board.user}:${board.password}`).toString('base64')}`;
    expect((await fetch(`${otherApi.url}/admin/queues`, { headers: { authorization } })).status).toBe(200);
    const queues = await request(`${otherApi.url}/admin/queues/api/queues`, { headers: { authorization } });
    expect(queues.status).toBe(200);
    expect(queues.body.queues).toHaveLength(5);
  });
});
