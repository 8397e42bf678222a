import { beforeAll, describe, expect, it } from 'vitest';
import { loadModel, type LoadedModel } from '@trainyard/ml/predict';
import { trainModel } from '@trainyard/ml/train';
import { InvalidRequestError } from '@trainyard/shared/platform';
import { PredictionBatcher } from './prediction-batcher.js';

// A small real classifier: two well-separated clusters.
const features = Array.from({ length: 40 }, (_, i) => (i % 2 ? [5 + (i % 7) / 10, 5] : [-5 - (i % 5) / 10, -5]));
const labels = features.map((_, i) => (i % 2 ? 'high' : 'low'));
let model: LoadedModel;

beforeAll(async () => {
  const trained = await trainModel(
    { featureNames: ['a', 'b'], features, labels },
    { algorithm: 'logistic-regression', params: { epochs: 30, learning_rate: 0.1, batch_size: 8, validation_split: 0, seed: 3 } },
  );
  model = await loadModel(trained.files);
});

describe('a prediction batcher', () => {
  it('answers each of many concurrent tasks exactly as the model answers it alone', async () => {
    const batcher = new PredictionBatcher();
    let calls = 0;
    const counted: LoadedModel = { ...model, predict: (inputs) => (calls++, model.predict(inputs)) };
    const tasks = Array.from({ length: 25 }, (_, t) => Array.from({ length: 1 + (t % 4) }, (_, r) => [(t % 2 ? 4 : -4) + r / 10, t % 2 ? 6 : -6]));
    const batched = await Promise.all(tasks.map((rows) => batcher.predict(counted, rows)));
    expect(calls).toBe(1);
    expect(batched).toEqual(tasks.map((rows) => model.predict(rows)));
    expect(batched[1]![0]).toMatchObject({ label: 'high' });
    expect(batched[0]![0]).toMatchObject({ label: 'low' });
  });

  it('fails only the task whose input is bad', async () => {
    const batcher = new PredictionBatcher();
    const [good, bad, alsoGood] = await Promise.allSettled([
      batcher.predict(model, [[5, 5]]),
      batcher.predict(model, [[1, 2, 3]]),
      batcher.predict(model, [[-5, -5]]),
    ]);
    expect(good).toMatchObject({ status: 'fulfilled', value: [{ label: 'high' }] });
    expect(bad).toMatchObject({ status: 'rejected', reason: expect.any(InvalidRequestError) });
    expect(alsoGood).toMatchObject({ status: 'fulfilled', value: [{ label: 'low' }] });
  });

  it('keeps separate batches for separate models and turns', async () => {
    const batcher = new PredictionBatcher();
    const first = await batcher.predict(model, [[5, 5]]);
    const second = await batcher.predict(model, [[-5, -5]]);
    expect([first, second]).toEqual([model.predict([[5, 5]]), model.predict([[-5, -5]])]);
  });
});
