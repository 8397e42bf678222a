import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@trainyard/ml/backend';
import { trainModel } from '@trainyard/ml/train';
import { createKey } from '@trainyard/test-support/auth';
import { request, waitForTask } from '@trainyard/test-support/http';
import { startApi, startWorker, type RunningProcess } from '@trainyard/test-support/processes';
import { deletePrefix, redisUrl, testPrefix } from '@trainyard/test-support/redis';
import { tempStorage } from '@trainyard/test-support/stack';

/**
 * An upgrade from before tenants: a store, a Redis and a queue written in the old layout (object
 * keys models/…, datasets/…; Redis keys {prefix}:model:…, {prefix}:cache:…; jobs without a tenant),
 * every path spelt out here rather than built by today's code. After the upgrade all of it is tenant
 * default's and works as before; another tenant sees none of it.
 */

const prefix = testPrefix('upgrade');
const storage = tempStorage('upgrade');
const redis = new Redis(redisUrl);
const oldTaskId = `train-${'a'.repeat(32)}`;
const revokedTaskId = `predict-${'b'.repeat(32)}`;
const cachedRow = [9, 9];
let api: RunningProcess & { url: string };
let worker: RunningProcess;
let otherKey: string;

const write = (key: string, body: string | Uint8Array) => {
  const path = join(storage.dir, key);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, body);
};

beforeAll(async () => {
  // A model version as the old worker stored it, trained for real so it can predict.
  await initBackend();
  const features = Array.from({ length: 40 }, (_, i) => [i % 10, (i * 3) % 7]);
  const trained = await trainModel(
    { featureNames: ['a', 'b'], features, labels: features.map(([a]) => (a! > 4 ? 'high' : 'low')) },
    { algorithm: 'logistic-regression', params: { epochs: 20, learning_rate: 0.1, batch_size: 8, validation_split: 0.2, seed: 1 } },
  );
  write('models/legacy/1/model.json', trained.files['model.json']);
  write('models/legacy/1/weights.bin', trained.files['weights.bin']);
  write('models/legacy/1/metadata.json', JSON.stringify({
    model: 'legacy', version: 1, algorithm: 'logistic-regression', params: {}, task: 'classification', input: 'tabular',
    feature_names: ['a', 'b'], classes: trained.classes, metrics: trained.metrics, size_bytes: trained.sizeBytes,
    training_task_id: `train-${'0'.repeat(32)}`, created_at: '2025-01-01T00:00:00.000Z',
  }));
  write('models/legacy/aliases.json', JSON.stringify({ aliases: { production: 1 }, updated_at: '2025-01-02T00:00:00.000Z' }));
  write('datasets/old-points.csv', `a,b,level\n${features.map(([a, b]) => `${a},${b},${a! > 4 ? 'high' : 'low'}`).join('\n')}\n`);

  // Redis as the old API and worker left it: the version counter, a cached answer, a revoked task, a queued job.
  await redis.set(`${prefix}:model:legacy:seq`, '1');
  const rowHash = createHash('sha256').update(JSON.stringify(cachedRow)).digest('hex');
  await redis.set(`${prefix}:cache:predict:legacy:1:row:${rowHash}`, JSON.stringify({ label: 'cached-before', probabilities: { high: 1, low: 0 } }), 'EX', 600);
  await redis.set(`${prefix}:task:${revokedTaskId}:revoked`, JSON.stringify({
    task_id: revokedTaskId, type: 'predict', status: 'REVOKED', progress: null, result: null, error: null, attempts: 0, failures: [],
    history: [{ status: 'REVOKED', attempt: 1, at: '2025-01-03T00:00:00.000Z' }], notifications: [], worker: null,
    created_at: '2025-01-03T00:00:00.000Z', started_at: null, finished_at: '2025-01-03T00:00:00.000Z',
  }), 'EX', 600);
  const queue = new Queue('train', { connection: redis, prefix });
  await queue.add('model.train', { model: 'legacy', algorithm: 'logistic-regression', dataset: { name: 'old-points', target: 'level' }, params: { epochs: 5, seed: 1 }, deadline: { timeout_ms: 60_000 } }, { jobId: oldTaskId });
  await queue.close();

  const env = { QUEUE_PREFIX: prefix, STORAGE_URL: storage.url };
  [api, worker] = await Promise.all([startApi(env), startWorker({ ...env, WORKER_QUEUES: 'train,predict' })]);
  otherKey = (await createKey(api.url, { tenant: 'acme', scopes: ['read', 'submit', 'manage'] })).key;
});

afterAll(async () => {
  await Promise.all([api?.stop(), worker?.stop()]);
  redis.disconnect();
  await deletePrefix(prefix);
  storage.remove();
});

describe('after an upgrade, what was there belongs to tenant default', () => {
  it('runs the job queued before the upgrade, as the next version of the model, counted on from the old counter', async () => {
    const task = await waitForTask(api.url, oldTaskId, ['SUCCESS', 'FAILURE'], 60_000);
    expect(task).toMatchObject({ status: 'SUCCESS', result: { model: 'legacy', version: 2 } });
    expect((await request(`${api.url}/v1/tasks/${oldTaskId}`, { key: otherKey })).status).toBe(404);
  });

  it('lists the old model with its alias, and predicts with it, from the cache and from the artifact', async () => {
    const model = await request(`${api.url}/v1/models/legacy/versions/production`);
    expect(model.body).toMatchObject({ version: 1, created_at: '2025-01-01T00:00:00.000Z', aliases: ['production'] });

    const cached = await request(`${api.url}/v1/predict`, { body: { model: 'legacy', version: 1, inputs: [cachedRow] } });
    expect(cached.status).toBe(200);
    expect(cached.body.result.predictions).toEqual([{ label: 'cached-before', probabilities: { high: 1, low: 0 } }]);

    const fresh = await request(`${api.url}/v1/predict`, { body: { model: 'legacy', version: 'production', inputs: [[9, 1], [0, 1]], cache: false }, headers: { prefer: 'wait=30' } });
    expect(fresh.status).toBe(200);
    expect(fresh.body.result.predictions.map((p: { label: string }) => p.label)).toEqual(['high', 'low']);
  });

  it('keeps the old dataset and the record of a task revoked before the upgrade', async () => {
    expect((await request(`${api.url}/v1/datasets/old-points`)).body).toMatchObject({ name: 'old-points', rows: 40 });
    expect((await request(`${api.url}/v1/tasks/${revokedTaskId}`)).body).toMatchObject({ status: 'REVOKED' });
  });

  it('shows another tenant none of it', async () => {
    for (const path of ['/v1/models/legacy', '/v1/datasets/old-points', `/v1/tasks/${revokedTaskId}`]) {
      expect((await request(`${api.url}${path}`, { key: otherKey })).status, path).toBe(404);
    }
    const predicted = await request(`${api.url}/v1/predict`, { body: { model: 'legacy', inputs: [cachedRow] }, key: otherKey });
    expect(predicted.status).toBe(404);
    expect((await request(`${api.url}/v1/models`, { key: otherKey })).body.models).toEqual([]);
  });
});
