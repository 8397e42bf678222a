import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TrainProgress } from '@trainyard/shared/jobs';
import { initBackend } from '../src/backend.js';
import { parseTrainSpec } from '../src/train-spec.js';
import { trainModel } from '../src/train.js';
import { sample } from './samples.js';

const iris = sample('iris');
const housing = sample('housing');

beforeAll(() => initBackend());

describe('classification', () => {
  it('logistic regression learns iris: accuracy ≥ 0.9 on the held-out flowers', async () => {
    const progress: TrainProgress[] = [];
    const lines: string[] = [];
    const model = await trainModel(iris, {
      ...parseTrainSpec('logistic-regression', { seed: 42, epochs: 100, learning_rate: 0.05 }),
      onEpoch: (p) => progress.push(p),
      log: (line) => lines.push(line),
    });

    expect(model.task).toBe('classification');
    expect(model.classes).toEqual(['setosa', 'versicolor', 'virginica']);
    expect(model.featureNames).toEqual(iris.featureNames);
    expect(model.metrics.accuracy).toBeGreaterThanOrEqual(0.9);
    expect(model.metrics.f1_macro).toBeGreaterThanOrEqual(0.9);
    expect(model.metrics.val_loss).toBeLessThan(0.3);
    expect(model.seed).toBe(42);
    expect(model.sizeBytes).toBe(Buffer.byteLength(model.files['model.json']) + model.files['weights.bin'].byteLength);
    // 4 inputs × 3 classes + 3 biases, float32.
    expect(model.files['weights.bin'].byteLength).toBe(15 * 4);

    expect(progress).toHaveLength(100);
    expect(progress[0]).toMatchObject({ epoch: 1, epochs: 100, percent: 1 });
    expect(progress.at(-1)).toMatchObject({ epoch: 100, epochs: 100, percent: 100, loss: model.metrics.loss });
    expect(progress.at(-1)!.loss).toBeLessThan(progress[0]!.loss / 2);
    expect(lines).toHaveLength(100);
    expect(lines[0]).toMatch(/^epoch 1\/100: loss \d\.\d{4}, val_loss \d\.\d{4}$/);
  });

  it('an MLP classifies iris', async () => {
    const model = await trainModel(iris, parseTrainSpec('mlp', { seed: 7, hidden_units: [8, 8], activation: 'tanh', epochs: 60 }));
    expect(model.task).toBe('classification');
    expect(model.metrics.accuracy).toBeGreaterThanOrEqual(0.9);
    // (4·8 + 8) + (8·8 + 8) + (8·3 + 3) weights.
    expect(model.files['weights.bin'].byteLength).toBe(139 * 4);
  });

  it('logistic regression takes numeric labels as classes', async () => {
    const features = Array.from({ length: 40 }, (_, i) => [i % 2 === 0 ? -1 - i / 40 : 1 + i / 40]);
    const labels = features.map(([x]) => (x! > 0 ? 1 : 0));
    const model = await trainModel(
      { featureNames: ['x'], features, labels },
      parseTrainSpec('logistic-regression', { seed: 1, epochs: 30, validation_split: 0 }),
    );
    expect(model.classes).toEqual([0, 1]);
    expect(model.metrics.accuracy).toBe(1);
  });

  it('refuses a target with a single class', async () => {
    const data = { featureNames: ['x'], features: [[1], [2], [3]], labels: ['a', 'a', 'a'] };
    await expect(trainModel(data, parseTrainSpec('logistic-regression', {}))).rejects.toMatchObject({
      name: 'DataError',
      message: expect.stringContaining('at least 2 classes'),
    });
  });
});

describe('regression', () => {
  it('linear regression explains the housing prices: R² ≥ 0.8', async () => {
    const model = await trainModel(housing, parseTrainSpec('linear-regression', { seed: 3 }));
    expect(model.task).toBe('regression');
    expect(model.classes).toBeUndefined();
    expect(model.metrics.r2).toBeGreaterThanOrEqual(0.8);
    // The noise in the sample has sd 25 (thousands): a good fit cannot beat it by much.
    expect(model.metrics.rmse).toBeGreaterThan(15);
    expect(model.metrics.rmse).toBeLessThan(40);
    // val_loss is the validation MSE in target units: the square of the validation RMSE.
    expect(model.metrics.val_loss! / model.metrics.rmse! ** 2).toBeCloseTo(1, 3);
  });

  it('an MLP regresses when the target is numeric', async () => {
    const model = await trainModel(housing, parseTrainSpec('mlp', { seed: 3, hidden_units: [16], epochs: 60 }));
    expect(model.task).toBe('regression');
    expect(model.metrics.r2).toBeGreaterThanOrEqual(0.8);
  });

  it('linear regression refuses a text target, naming a value', async () => {
    await expect(trainModel(iris, parseTrainSpec('linear-regression', {}))).rejects.toMatchObject({
      name: 'DataError',
      message: 'linear-regression needs a numeric target; found "setosa"',
    });
  });
});

describe('input checks', () => {
  it('refuses params that belong to another algorithm', async () => {
    const mlpParams = parseTrainSpec('mlp', {}).params;
    await expect(trainModel(iris, { algorithm: 'linear-regression', params: mlpParams })).rejects.toMatchObject({ name: 'ZodError' });
  });

  it('needs at least 2 rows', async () => {
    const one = { featureNames: ['x'], features: [[1]], labels: [1] };
    await expect(trainModel(one, parseTrainSpec('linear-regression', {}))).rejects.toMatchObject({ name: 'DataError' });
  });
});

describe('reproducibility', () => {
  const spec = parseTrainSpec('mlp', { seed: 123, epochs: 15, hidden_units: [6] });

  it('the same data and seed give the same metrics and weights', async () => {
    const [a, b] = [await trainModel(iris, spec), await trainModel(iris, spec)];
    expect(a.metrics).toEqual(b.metrics);
    expect(Buffer.from(a.files['weights.bin']).equals(Buffer.from(b.files['weights.bin']))).toBe(true);
  });

  it('another seed gives another model', async () => {
    const other = await trainModel(iris, parseTrainSpec('mlp', { ...spec.params, seed: 124 }));
    expect(other.metrics).not.toEqual((await trainModel(iris, spec)).metrics);
  });

  it('without a seed one is drawn, reported, and replays the run', async () => {
    const first = await trainModel(iris, parseTrainSpec('logistic-regression', { epochs: 5 }));
    const replay = await trainModel(iris, parseTrainSpec('logistic-regression', { epochs: 5, seed: first.seed }));
    expect(replay.metrics).toEqual(first.metrics);
  });
});

describe('abort', () => {
  const long = parseTrainSpec('mlp', { seed: 1, epochs: 5_000 });

  it('stops at the next batch once the signal fires and throws an AbortError', async () => {
    const controller = new AbortController();
    const epochs: number[] = [];
    const training = trainModel(iris, {
      ...long,
      signal: controller.signal,
      onEpoch: ({ epoch }) => {
        epochs.push(epoch);
        if (epoch === 3) controller.abort();
      },
    });
    await expect(training).rejects.toMatchObject({ name: 'AbortError' });
    expect(epochs).toEqual([1, 2, 3]);
  });

  it('hears an abort sent from a timer while it trains', async () => {
    const started = performance.now();
    await expect(trainModel(iris, { ...long, signal: AbortSignal.timeout(200) })).rejects.toMatchObject({ name: 'AbortError' });
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('does not start when the signal has already fired', async () => {
    let epochs = 0;
    const training = trainModel(iris, { ...long, signal: AbortSignal.abort(), onEpoch: () => epochs++ });
    await expect(training).rejects.toMatchObject({ name: 'AbortError' });
    expect(epochs).toBe(0);
  });
});

describe('memory', () => {
  it('leaves no tensor behind, whether training succeeds, is aborted or fails', async () => {
    const start = tf.memory().numTensors;
    await trainModel(iris, parseTrainSpec('mlp', { seed: 1, epochs: 3, hidden_units: [4, 4] }));
    await trainModel(housing, parseTrainSpec('linear-regression', { seed: 1, epochs: 3, validation_split: 0 }));
    const controller = new AbortController();
    await expect(
      trainModel(iris, { ...parseTrainSpec('logistic-regression', { epochs: 10 }), signal: controller.signal, onEpoch: () => controller.abort() }),
    ).rejects.toMatchObject({ name: 'AbortError' });
    expect(tf.memory().numTensors).toBe(start);
  });
});
