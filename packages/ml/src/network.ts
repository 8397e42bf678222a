import * as tfl from '@tensorflow/tfjs-layers';
import type { Random } from '@trainyard/shared/platform';
import { nextSeed } from './random.js';
import type { Task } from './targets.js';
import type { TrainSpec } from './train-spec.js';

/**
 * linear-regression and logistic-regression are a single dense layer (linear or softmax); an MLP
 * puts its hidden layers in front. Initial weights come from the run's seed.
 */
export function buildNetwork(spec: TrainSpec, inputs: number, outputs: number, task: Task, random: Random): tfl.Sequential {
  const hidden = spec.algorithm === 'mlp' ? spec.params.hidden_units.map((units) => ({ units, activation: spec.params.activation })) : [];
  const output = { units: outputs, activation: task === 'classification' ? ('softmax' as const) : ('linear' as const) };
  return tfl.sequential({
    layers: [...hidden, output].map((layer, i) =>
      tfl.layers.dense({
        ...layer,
        kernelInitializer: tfl.initializers.glorotUniform({ seed: nextSeed(random) }),
        ...(i === 0 && { inputShape: [inputs] }),
      }),
    ),
  });
}
