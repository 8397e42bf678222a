import { readFileSync } from 'node:fs';
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
let network: TrainedModel;
beforeAll(async () => {
  classifier = await trainModel(iris, parseTrainSpec('logistic-regression', { seed: 5, validation_split: 0 }));
  regressor = await trainModel(housing, parseTrainSpec('linear-regression', { seed: 5, validation_split: 0 }));
  network = await trainModel(housing, parseTrainSpec('mlp', { seed: 5, validation_split: 0, epochs: 40 }));
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
  });
});

describe('saved regressors, loaded again', () => {
  it.each([
    ['linear regression', () => regressor],
    ['an MLP', () => network],
  ])('%s predicts in target units with the error training measured', async (_, trained) => {
    const model = await loadModel(fromStorage(trained().files));
    expect(model.task).toBe('regression');
    expect(model.classes).toBeUndefined();
    const { rmse, r2 } = regressionMetrics(housing.labels as number[], values(model.predict(housing.features)));
    model.dispose();
    expect(rmse).toBeCloseTo(trained().metrics.rmse!, 3);
    expect(r2).toBeCloseTo(trained().metrics.r2!, 5);
  });
});

describe('models stored before the linear format (tfjs layers models)', () => {
  const fixture = (name: string) => {
    const dir = new URL(`./fixtures/tfjs-artifacts/${name}/`, import.meta.url);
    const files = { 'model.json': readFileSync(new URL('model.json', dir)), 'weights.bin': new Uint8Array(readFileSync(new URL('weights.bin', dir))) };
    const expected = JSON.parse(readFileSync(new URL('expected.json', dir), 'utf8')) as { inputs: number[][] | string[]; predictions: Prediction[]; embeddings?: number[][] };
    return { files, expected };
  };

  it.each(['iris-logistic', 'housing-linear', 'iris-mlp', 'tickets-text'])('%s still loads and predicts what it predicted then', async (name) => {
    const { files, expected } = fixture(name);
    const model = await loadModel(files);
    expect(model.predict(expected.inputs)).toEqual(expected.predictions);
    if (expected.embeddings) expect(model.embed(expected.inputs)).toEqual(expected.embeddings);
    model.dispose();
  });
});

describe('prediction input', () => {
  it('refuses a row of the wrong width, naming the features', async () => {
    for (const trained of [classifier, network]) {
      const model = await loadModel(trained.files);
      const names = trained.featureNames.join(', ');
      expect(() => model.predict([trained.featureNames.map(() => 1), [5.1, 3.5, 1.4]])).toThrow(
        expect.objectContaining({ code: 'invalid_request', message: 'inputs.1: has 3 values, the model takes 4', issues: [{ path: 'inputs.1', message: `expected 4 values (${names})` }] }),
      );
      expect(model.predict([])).toEqual([]);
      model.dispose();
    }
  });
});

describe('files that are not a model', () => {
  const edited = (trained: () => TrainedModel, edit: (json: Record<string, any>) => void) => (): StoredModelFiles => {
    const json = JSON.parse(trained().files['model.json']) as Record<string, any>;
    edit(json);
    return { 'model.json': JSON.stringify(json), 'weights.bin': trained().files['weights.bin'] };
  };

  it('are refused with a DataError', async () => {
    await expect(loadModel({ 'model.json': '{oops', 'weights.bin': new Uint8Array() })).rejects.toMatchObject({ name: 'DataError', message: 'model.json is not valid JSON' });
    await expect(loadModel(edited(() => network, (json) => delete json.userDefinedMetadata)())).rejects.toMatchObject({
      name: 'DataError',
      message: expect.stringContaining('not a Trainyard model'),
    });
    await expect(loadModel(edited(() => network, (json) => (json.userDefinedMetadata.trainyard.featureNames = ['a', 'b', 'c', 'd', 'e']))())).rejects.toMatchObject({
      name: 'DataError',
      message: expect.stringContaining('not a Trainyard model'),
    });
    await expect(loadModel(edited(() => classifier, (json) => json.trainyard.classes.push('extra'))())).rejects.toMatchObject({
      name: 'DataError',
      message: expect.stringContaining('do not match'),
    });
    await expect(loadModel({ 'model.json': classifier.files['model.json'], 'weights.bin': new Uint8Array(12) })).rejects.toMatchObject({
      name: 'DataError',
      message: expect.stringContaining('weights.bin holds 12 bytes'),
    });
  });
});

describe('resources and speed', () => {
  it('a network frees every tensor on dispose', async () => {
    const start = tf.memory().numTensors;
    const model = await loadModel(network.files);
    model.predict(housing.features);
    expect(tf.memory().numTensors).toBeGreaterThan(start);
    model.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });

  it.each([
    ['logistic regression', () => classifier, [[6.3, 3.3, 6.0, 2.5]]],
    ['an MLP', () => network, [[100, 3, 20, 5]]],
  ])('%s predicts a single row in well under a millisecond', async (what, trained, row) => {
    const model = await loadModel(trained().files);
    for (let i = 0; i < 500; i++) model.predict(row);
    const calls = 5_000;
    const started = performance.now();
    for (let i = 0; i < calls; i++) model.predict(row);
    const perRowUs = ((performance.now() - started) * 1_000) / calls;
    model.dispose();
    console.log(`${what}: ${perRowUs.toFixed(1)} µs per single-row call`);
    // A generous bound: it fails only if something heavy (a reload, a copy of the weights) creeps in.
    expect(perRowUs).toBeLessThan(1_000);
  });
});
