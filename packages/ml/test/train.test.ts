import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import type { TrainingData } from '@trainyard/shared/datasets';
import type { TrainProgress } from '@trainyard/shared/jobs';
import { classificationMetrics, regressionMetrics } from '../src/metrics.js';
import { loadModel } from '../src/predict.js';
import { parseTrainSpec } from '../src/train-spec.js';
import { dataHash, trainModel, type TrainedModel } from '../src/train.js';
import { holdOut, sample } from './samples.js';

const iris = sample('iris');
const housing = sample('housing');
/** iris with the species as 0/1/2, as scikit-learn ships it. */
const numericIris: TrainingData = { ...iris, labels: iris.labels.map((label) => ['setosa', 'versicolor', 'virginica'].indexOf(label as string)) };

/** Held-out accuracy (classifiers) or R² (regressors) of a trained model on rows it never saw. */
async function heldOutScore(trained: TrainedModel, test: TrainingData): Promise<number> {
  const model = await loadModel(trained.files);
  const predictions = model.predict(test.features);
  model.dispose();
  if (trained.task === 'regression') return regressionMetrics(test.labels as number[], predictions.map((p) => ('value' in p ? p.value : Number.NaN))).r2;
  const classes = trained.classes!;
  return classificationMetrics(test.labels.map((l) => classes.indexOf(l)), predictions.map((p) => ('label' in p ? classes.indexOf(p.label) : -1))).accuracy;
}

describe('quality floors on the shipped samples (fixed seeds, held-out 20 %)', () => {
  it.each([
    ['iris', 'logistic-regression', {}, 0.9],
    ['iris', 'mlp', {}, 0.9],
    ['housing', 'linear-regression', {}, 0.95],
    ['housing', 'mlp', {}, 0.9],
  ] as const)('%s, %s %o: held-out score ≥ %s', async (name, algorithm, params, floor) => {
    const { train, test } = holdOut(sample(name));
    const trained = await trainModel(train, parseTrainSpec(algorithm, { seed: 3, ...params }));
    const score = await heldOutScore(trained, test);
    console.log(`${name} ${algorithm}: held-out ${score.toFixed(4)}, validation ${JSON.stringify(trained.validation?.metrics)}`);
    expect(score).toBeGreaterThanOrEqual(floor);
  });
});

describe('validation, refit and the published model', () => {
  it('measures a first fit on the held-out rows, then refits on every row', async () => {
    const progress: TrainProgress[] = [];
    const lines: string[] = [];
    const trained = await trainModel(iris, { ...parseTrainSpec('logistic-regression', { seed: 42 }), onEpoch: (p) => progress.push(p), log: (l) => lines.push(l) });
    expect(trained.validation).toEqual({ rows: 30, metrics: { accuracy: expect.any(Number), f1_macro: expect.any(Number), loss: expect.any(Number) } });
    expect(trained.training).toMatchObject({ rows: 150, refit: true });
    // Top-level metrics, as existing clients read them: the validation metrics, with the first fit's loss beside its val_loss.
    expect(trained.metrics).toEqual({
      accuracy: trained.validation!.metrics.accuracy,
      f1_macro: trained.validation!.metrics.f1_macro,
      loss: expect.any(Number),
      val_loss: trained.validation!.metrics.loss,
    });
    // The curve keeps six significant digits.
    expect(trained.lossCurve.loss.at(-1)).toBe(Number(trained.metrics.loss!.toPrecision(6)));
    expect(trained.lossCurve.val_loss!.at(-1)).toBe(Number(trained.validation!.metrics.loss!.toPrecision(6)));
    expect(trained.lossCurve.refit_loss!.length).toBeGreaterThan(0);
    expect(progress.filter((p) => p.phase === 'fit').map((p) => p.epoch)).toEqual(trained.lossCurve.loss.map((_, i) => i + 1));
    // Each step of the first fit reports its validation loss, so a live chart can draw both curves.
    expect(progress.filter((p) => p.phase === 'fit').map((p) => Number(p.val_loss!.toPrecision(6)))).toEqual(trained.lossCurve.val_loss);
    expect(progress.filter((p) => p.phase === 'refit').every((p) => p.val_loss === undefined)).toBe(true);
    expect(progress.at(-1)).toMatchObject({ phase: 'refit', percent: expect.any(Number) });
    expect(progress.map((p) => p.percent)).toEqual([...progress.map((p) => p.percent)].sort((a, b) => a - b));
    expect(lines[0]).toMatch(/^fit iteration 1\/100: loss \d\.\d+, val_loss \d\.\d+$/);
    // 4 inputs × 3 classes + 3 biases, float32.
    expect(trained.files['weights.bin'].byteLength).toBe(15 * 4);
  });

  it('with refit false publishes the first fit, measured on its own training rows', async () => {
    const trained = await trainModel(iris, parseTrainSpec('logistic-regression', { seed: 42, refit: false }));
    expect(trained.training).toMatchObject({ rows: 120, refit: false });
    expect(trained.lossCurve.refit_loss).toBeUndefined();
    const refitted = await trainModel(iris, parseTrainSpec('logistic-regression', { seed: 42 }));
    expect(trained.validation).toEqual(refitted.validation);
    expect(Buffer.from(trained.files['weights.bin']).equals(Buffer.from(refitted.files['weights.bin']))).toBe(false);
  });

  it('with validation_split 0 labels no number as validation', async () => {
    const trained = await trainModel(housing, parseTrainSpec('linear-regression', { seed: 1, validation_split: 0 }));
    expect(trained.validation).toBeUndefined();
    expect(trained.training).toMatchObject({ rows: housing.labels.length, refit: false });
    expect(Object.keys(trained.metrics).sort()).toEqual(['loss', 'r2', 'rmse']);
    expect(trained.lossCurve).toEqual({ unit: 'iteration', loss: [Number(trained.training.metrics.loss!.toPrecision(6))] });
  });

  it('linear regression reports MSE in target units: loss is the square of the RMSE', async () => {
    const trained = await trainModel(housing, parseTrainSpec('linear-regression', { seed: 3 }));
    expect(trained.validation!.metrics.loss! / trained.validation!.metrics.rmse! ** 2).toBeCloseTo(1, 10);
    // The noise in the sample has sd 25 (thousands): a good fit cannot beat it by much.
    expect(trained.validation!.metrics.rmse).toBeGreaterThan(15);
  });
});

describe('early stopping', () => {
  it('stops once the validation loss has not improved for `patience` epochs and refits for the best epoch count', async () => {
    const trained = await trainModel(iris, parseTrainSpec('mlp', { seed: 5, epochs: 2_000, patience: 5, learning_rate: 0.05 }));
    const { loss, val_loss: valLoss, best_step: best, refit_loss: refitLoss } = trained.lossCurve;
    expect(loss.length).toBeLessThan(2_000);
    expect(loss.length - best!).toBe(5);
    expect(valLoss).toHaveLength(loss.length);
    // The best epoch's validation loss beats every later one.
    for (const later of valLoss!.slice(best!)) expect(valLoss![best! - 1]!).toBeLessThanOrEqual(later + 1e-4);
    expect(refitLoss).toHaveLength(best!);
    expect(trained.lossCurve.unit).toBe('epoch');
  });

  it('patience 0 runs every epoch', async () => {
    const trained = await trainModel(iris, parseTrainSpec('mlp', { seed: 5, epochs: 12, patience: 0, refit: false }));
    expect(trained.lossCurve.loss).toHaveLength(12);
    expect(trained.lossCurve.best_step).toBeUndefined();
  });
});

describe('what an MLP predicts', () => {
  it('a numeric target with few integer values trains a regressor, with a warning', async () => {
    const trained = await trainModel(numericIris, parseTrainSpec('mlp', { seed: 1, epochs: 5 }));
    expect(trained.task).toBe('regression');
    expect(trained.warnings).toEqual([expect.stringContaining('only 3 distinct integer values (0, 1, 2)')]);
  });

  it('task "classification" classifies those numbers, without a warning', async () => {
    const { train, test } = holdOut(numericIris);
    const trained = await trainModel(train, parseTrainSpec('mlp', { seed: 1, task: 'classification' }));
    expect(trained).toMatchObject({ task: 'classification', classes: [0, 1, 2], warnings: [] });
    expect(await heldOutScore(trained, test)).toBeGreaterThanOrEqual(0.9);
  });

  it('task "regression" on measurements warns about nothing; on text labels it is refused', async () => {
    expect((await trainModel(numericIris, parseTrainSpec('mlp', { seed: 1, epochs: 2, task: 'regression' }))).warnings).toEqual([]);
    expect((await trainModel(housing, parseTrainSpec('mlp', { seed: 1, epochs: 2 }))).warnings).toEqual([]);
    await expect(trainModel(iris, parseTrainSpec('mlp', { task: 'regression' }))).rejects.toMatchObject({
      name: 'DataError',
      message: 'mlp needs a numeric target to regress; found "setosa"',
    });
  });
});

describe('input checks', () => {
  it('refuses params that belong to another algorithm', async () => {
    const mlpParams = parseTrainSpec('mlp', {}).params;
    await expect(trainModel(iris, { algorithm: 'linear-regression', params: mlpParams })).rejects.toMatchObject({ name: 'ZodError' });
  });

  it('needs at least 2 rows and 2 classes; linear regression needs numbers', async () => {
    const one = { featureNames: ['x'], features: [[1]], labels: [1] };
    await expect(trainModel(one, parseTrainSpec('linear-regression', {}))).rejects.toMatchObject({ name: 'DataError' });
    const single = { featureNames: ['x'], features: [[1], [2], [3]], labels: ['a', 'a', 'a'] };
    await expect(trainModel(single, parseTrainSpec('logistic-regression', {}))).rejects.toMatchObject({ message: expect.stringContaining('at least 2 classes') });
    await expect(trainModel(iris, parseTrainSpec('linear-regression', {}))).rejects.toMatchObject({
      name: 'DataError',
      message: 'linear-regression needs a numeric target to regress; found "setosa"',
    });
  });
});

describe('reproducibility and the data hash', () => {
  it('the same data and seed give the same model; another seed another MLP', async () => {
    const spec = parseTrainSpec('mlp', { seed: 123, epochs: 15, hidden_units: [6] });
    const [a, b] = [await trainModel(iris, spec), await trainModel(iris, spec)];
    expect(a.metrics).toEqual(b.metrics);
    expect(Buffer.from(a.files['weights.bin']).equals(Buffer.from(b.files['weights.bin']))).toBe(true);
    const other = await trainModel(iris, parseTrainSpec('mlp', { ...spec.params, seed: 124 }));
    expect(other.metrics).not.toEqual(a.metrics);
  });

  it('without a seed one is drawn, reported, and replays the run', async () => {
    const first = await trainModel(iris, parseTrainSpec('logistic-regression', {}));
    const replay = await trainModel(iris, parseTrainSpec('logistic-regression', { seed: first.seed }));
    expect(replay.metrics).toEqual(first.metrics);
  });

  it('hashes the training data: equal data, equal hash; one changed value, another hash', async () => {
    const trained = await trainModel(iris, parseTrainSpec('logistic-regression', { seed: 1 }));
    expect(trained.dataHash).toMatch(/^[0-9a-f]{64}$/);
    expect(dataHash(structuredClone(iris))).toBe(trained.dataHash);
    const changed = structuredClone(iris);
    changed.features[7]![2] = 1.6;
    expect(dataHash(changed)).not.toBe(trained.dataHash);
  });
});

describe('abort', () => {
  const long = parseTrainSpec('mlp', { seed: 1, epochs: 5_000, patience: 0, batch_size: 16 });

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

  it('stops mid-epoch, between two mini-batches', async () => {
    let epochs = 0;
    const oneLongEpoch = parseTrainSpec('mlp', { seed: 1, epochs: 1, batch_size: 1, hidden_units: [256, 256], validation_split: 0 });
    await expect(trainModel(iris, { ...oneLongEpoch, signal: AbortSignal.timeout(30), onEpoch: () => epochs++ })).rejects.toMatchObject({ name: 'AbortError' });
    expect(epochs).toBe(0);
  });

  it('hears an abort sent from a timer while it trains', async () => {
    const started = performance.now();
    await expect(trainModel(iris, { ...long, signal: AbortSignal.timeout(200) })).rejects.toMatchObject({ name: 'AbortError' });
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('does not start when the signal has already fired', async () => {
    let epochs = 0;
    const training = trainModel(iris, { ...parseTrainSpec('logistic-regression', {}), signal: AbortSignal.abort(), onEpoch: () => epochs++ });
    await expect(training).rejects.toMatchObject({ name: 'AbortError' });
    expect(epochs).toBe(0);
  });
});

describe('memory', () => {
  it('leaves no tensor behind, whether a network trains, is aborted or fails', async () => {
    await trainModel(iris, parseTrainSpec('mlp', { seed: 1, epochs: 2 }));
    const start = tf.memory().numTensors;
    await trainModel(iris, parseTrainSpec('mlp', { seed: 1, epochs: 30, hidden_units: [4, 4], patience: 3 }));
    const controller = new AbortController();
    await expect(
      trainModel(iris, { ...parseTrainSpec('mlp', { epochs: 10 }), signal: controller.signal, onEpoch: () => controller.abort() }),
    ).rejects.toMatchObject({ name: 'AbortError' });
    await expect(trainModel(iris, parseTrainSpec('mlp', { task: 'regression' }))).rejects.toMatchObject({ name: 'DataError' });
    expect(tf.memory().numTensors).toBe(start);
  });
});
