import { describe, expect, it } from 'vitest';
import { loadModel } from '../src/predict.js';
import { parseTrainSpec } from '../src/train-spec.js';
import { trainModel } from '../src/train.js';
import { sample, ticketsSample } from './samples.js';

/** TensorFlow.js registers its engine on the global object when it is imported. */
const tfjsLoaded = () => '_tfengine' in globalThis;

// Its own test file, so its own process: nothing else here imports TensorFlow.js.
describe('linear models', () => {
  it('train and predict without ever loading TensorFlow.js', async () => {
    const iris = sample('iris');
    const tickets = ticketsSample();
    for (const [data, algorithm] of [
      [iris, 'logistic-regression'],
      [sample('housing'), 'linear-regression'],
      [tickets, 'text-classifier'],
    ] as const) {
      const trained = await trainModel(data, parseTrainSpec(algorithm, { seed: 1 }));
      const model = await loadModel(trained.files);
      expect(model.predict('texts' in data ? data.texts.slice(0, 3) : data.features.slice(0, 3))).toHaveLength(3);
    }
    expect(tfjsLoaded()).toBe(false);
    // A network does load it: the check above can fail.
    await trainModel(iris, parseTrainSpec('mlp', { seed: 1, epochs: 1 }));
    expect(tfjsLoaded()).toBe(true);
  });
});
