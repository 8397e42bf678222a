import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from '@trainyard/test-support/http';
import { startApi, startWorker, type RunningProcess } from '@trainyard/test-support/processes';
import { deletePrefix, testPrefix } from '@trainyard/test-support/redis';
import { tempStorage } from '@trainyard/test-support/stack';

const prefix = testPrefix('training-record');
const storage = tempStorage('training-record');
let api: RunningProcess & { url: string };
let worker: RunningProcess;

beforeAll(async () => {
  const env = { QUEUE_PREFIX: prefix, STORAGE_URL: storage.url };
  [api, worker] = await Promise.all([startApi(env), startWorker(env)]);
});

afterAll(async () => {
  await Promise.all([api?.stop(), worker?.stop()]);
  await deletePrefix(prefix);
  storage.remove();
});

/** Trains and waits for the result (Prefer: wait answers once the task finished). */
async function train(body: Record<string, unknown>) {
  const response = await request(`${api.url}/v1/train`, { body, headers: { prefer: 'wait=60' } });
  expect(response.status).toBe(200);
  expect(response.body.status).toBe('SUCCESS');
  return response.body.result;
}

const version = async (model: string, number: number) => (await request(`${api.url}/v1/models/${model}/versions/${number}`)).body;
const iris = { name: 'iris', target: 'species' };

describe('what a training records', () => {
  it('validation metrics on the held-out rows apart from the refitted model\'s training metrics, in the result and the registry', async () => {
    const result = await train({ model: 'record', algorithm: 'logistic-regression', dataset: iris, params: { seed: 1 } });
    expect(result.validation).toEqual({ rows: 30, metrics: { accuracy: expect.any(Number), f1_macro: expect.any(Number), loss: expect.any(Number) } });
    expect(result.training).toEqual({ rows: 150, refit: true, metrics: { accuracy: expect.any(Number), f1_macro: expect.any(Number), loss: expect.any(Number) } });
    expect(result.metrics).toMatchObject({ accuracy: result.validation.metrics.accuracy, val_loss: result.validation.metrics.loss });
    expect(result.fit_ms).toBeGreaterThan(0);

    const stored = await version('record', 1);
    expect(stored).toMatchObject({ validation: result.validation, training: result.training, metrics: result.metrics });
    // The loss curve of the first fit (with val_loss per solver iteration) and of the refit.
    const curve = stored.loss_curve;
    expect(curve.unit).toBe('iteration');
    expect(curve.loss.length).toBeGreaterThan(1);
    expect(curve.val_loss).toHaveLength(curve.loss.length);
    expect(curve.refit_loss.length).toBeGreaterThan(0);
    expect(curve.loss.at(-1)).toBeLessThan(curve.loss[0]);
    expect(stored.data_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(stored.warnings).toBeUndefined();
  });

  it('the same data gives the same hash; other data another one', async () => {
    await train({ model: 'record', algorithm: 'logistic-regression', dataset: iris, params: { seed: 2, l2: 0.01 } });
    await train({ model: 'record', algorithm: 'logistic-regression', dataset: { inline: { features: [[1], [2], [3], [4]], labels: ['a', 'a', 'b', 'b'] } }, params: { validation_split: 0 } });
    const [first, second, third] = await Promise.all([1, 2, 3].map((n) => version('record', n)));
    expect(second.data_hash).toBe(first.data_hash);
    expect(third.data_hash).not.toBe(first.data_hash);
  });

  it('with validation_split 0 nothing is labelled validation', async () => {
    const result = await train({ model: 'all-rows', algorithm: 'linear-regression', dataset: { name: 'housing', target: 'price_k' }, params: { validation_split: 0 } });
    expect(result.validation).toBeUndefined();
    expect(result.training).toMatchObject({ rows: 400, refit: false });
    expect(Object.keys(result.metrics).sort()).toEqual(['loss', 'r2', 'rmse']);
    const stored = await version('all-rows', 1);
    expect(stored.validation).toBeUndefined();
    // The curve keeps six significant digits.
    expect(stored.loss_curve).toEqual({ unit: 'iteration', loss: [Number(result.training.metrics.loss.toPrecision(6))] });
  });

  it('an MLP on class-like numbers warns in the result and the registry; with an explicit task it classifies', async () => {
    const features = Array.from({ length: 60 }, (_, i) => [i % 3, (i * 7) % 5]);
    const dataset = { inline: { features, labels: features.map(([a]) => a!) } };
    const inferred = await train({ model: 'codes', algorithm: 'mlp', dataset, params: { seed: 1, epochs: 5 } });
    expect(inferred.warnings).toEqual([expect.stringContaining('only 3 distinct integer values')]);
    expect(await version('codes', 1)).toMatchObject({ task: 'regression', warnings: inferred.warnings, loss_curve: { unit: 'epoch' } });
    const explicit = await train({ model: 'codes', algorithm: 'mlp', dataset, params: { seed: 1, epochs: 5, task: 'classification' } });
    expect(explicit.warnings).toBeUndefined();
    expect(await version('codes', 2)).toMatchObject({ task: 'classification', classes: [0, 1, 2] });
  });
});
