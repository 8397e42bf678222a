import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Prediction } from '@trainyard/shared/jobs';
import type { ModelFiles, StoredModelFiles } from '../src/artifact.js';
import { classificationMetrics, regressionMetrics } from '../src/metrics.js';
import { loadModel } from '../src/predict.js';
import { parseTrainSpec } from '../src/train-spec.js';
import { trainModel, type TrainedModel } from '../src/train.js';
import { sample } from './samples.js';

const iris = sample('iris');
const housing = sample('housing');

/** The files as they come back from object storage: Buffers, small ones cut from a shared pool. */
const fromStorage = (files: ModelFiles): StoredModelFiles => ({
  'model.json': Buffer.from(files['model.json']),
  'weights.bin': Buffer.from(files['weights.bin']),
});

const classified = (predictions: Prediction[]) =>
  predictions.map((p) => {
    if (!('label' in p)) throw new Error('expected a class');
    return p;
  });
const values = (predictions: Prediction[]) =>
  predictions.map((p) => {
    if (!('value' in p)) throw new Error('expected a value');
    return p.value;
  });

// Trained on every row (no validation split), so the reported metrics cover the same rows we predict.
let classifier: TrainedModel;
let regressor: TrainedModel;
beforeAll(async () => {
  classifier = await trainModel(iris, parseTrainSpec('logistic-regression', { seed: 5, validation_split: 0 }));
  regressor = await trainModel(housing, parseTrainSpec('linear-regression', { seed: 5, validation_split: 0 }));
});

describe('a saved classifier, loaded again', () => {
  it('describes itself from its files alone', async () => {
    const model = await loadModel(fromStorage(classifier.files));
    expect(model).toMatchObject({
      task: 'classification',
      featureNames: iris.featureNames,
      classes: ['setosa', 'versicolor', 'virginica'],
      sizeBytes: classifier.sizeBytes,
    });
    model.dispose();
  });

  it('predicts the classes that training measured', async () => {
    const model = await loadModel(fromStorage(classifier.files));
    const predictions = classified(model.predict(iris.features));
    model.dispose();
    const classes = classifier.classes!;
    const accuracy = classificationMetrics(
      iris.labels.map((label) => classes.indexOf(label)),
      predictions.map((p) => classes.indexOf(p.label)),
    ).accuracy;
    expect(accuracy).toBe(classifier.metrics.accuracy);
    for (const { label, probabilities } of predictions) {
      expect(Object.keys(probabilities)).toEqual(['setosa', 'versicolor', 'virginica']);
      expect(Object.values(probabilities).reduce((a, b) => a + b)).toBeCloseTo(1, 5);
      expect(probabilities[String(label)]).toBe(Math.max(...Object.values(probabilities)));
    }
  });

  it('gives the same answer every time it is loaded', async () => {
    const [a, b] = [await loadModel(classifier.files), await loadModel(fromStorage(classifier.files))];
    expect(a.predict(iris.features.slice(40, 60))).toEqual(b.predict(iris.features.slice(40, 60)));
    a.dispose();
    b.dispose();
  });
});

describe('a saved regressor, loaded again', () => {
  it('predicts in target units with the error training measured', async () => {
    const model = await loadModel(fromStorage(regressor.files));
    expect(model.task).toBe('regression');
    expect(model.classes).toBeUndefined();
    const predicted = values(model.predict(housing.features));
    model.dispose();
    const { rmse, r2 } = regressionMetrics(housing.labels as number[], predicted);
    expect(rmse).toBeCloseTo(regressor.metrics.rmse!, 3);
    expect(r2).toBeCloseTo(regressor.metrics.r2!, 5);
  });
});

describe('prediction input', () => {
  it('refuses a row of the wrong width, naming the features', async () => {
    const model = await loadModel(classifier.files);
    expect(() => model.predict([[5.1, 3.5, 1.4, 0.2], [5.1, 3.5, 1.4]])).toThrow(
      expect.objectContaining({
        name: 'DataError',
        message: 'input row 1 has 3 values; the model expects 4 (sepal_length, sepal_width, petal_length, petal_width)',
      }),
    );
    expect(model.predict([])).toEqual([]);
    model.dispose();
  });
});

describe('files that are not a model', () => {
  const withModelJson = (edit: (json: Record<string, any>) => void): StoredModelFiles => {
    const json = JSON.parse(classifier.files['model.json']) as Record<string, any>;
    edit(json);
    return { 'model.json': JSON.stringify(json), 'weights.bin': classifier.files['weights.bin'] };
  };

  it('are refused with a DataError', async () => {
    const notJson = { 'model.json': '{oops', 'weights.bin': new Uint8Array() };
    await expect(loadModel(notJson)).rejects.toMatchObject({ name: 'DataError', message: 'model.json is not valid JSON' });
    await expect(loadModel(withModelJson((json) => delete json.userDefinedMetadata))).rejects.toMatchObject({
      name: 'DataError',
      message: expect.stringContaining('not a Trainyard model'),
    });
    await expect(
      loadModel(withModelJson((json) => json.userDefinedMetadata.trainyard.classes.push('extra'))),
    ).rejects.toMatchObject({ name: 'DataError', message: expect.stringContaining("network's shape does not match") });
  });
});

describe('resources and speed', () => {
  it('frees every tensor on dispose', async () => {
    const start = tf.memory().numTensors;
    const model = await loadModel(classifier.files);
    model.predict(iris.features);
    expect(tf.memory().numTensors).toBeGreaterThan(start);
    model.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });

  it('predicts a single row in well under a millisecond', async () => {
    const model = await loadModel(classifier.files);
    const row = [[6.3, 3.3, 6.0, 2.5]];
    for (let i = 0; i < 500; i++) model.predict(row);
    const calls = 5_000;
    let started = performance.now();
    for (let i = 0; i < calls; i++) model.predict(row);
    const perRowUs = ((performance.now() - started) * 1_000) / calls;
    started = performance.now();
    model.predict(iris.features.concat(iris.features, iris.features, iris.features).slice(0, 500));
    const batchMs = performance.now() - started;
    model.dispose();
    console.log(`predict: ${perRowUs.toFixed(1)} µs per single-row call; ${batchMs.toFixed(2)} ms for a batch of 500 rows`);
    // A generous bound: it fails only if something heavy (a reload, a copy of the weights) creeps in.
    expect(perRowUs).toBeLessThan(1_000);
  });
});
