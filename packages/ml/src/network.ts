import * as tfl from '@tensorflow/tfjs-layers';
import type { AlgorithmParams } from '@trainyard/shared/jobs';
import type { Random } from '@trainyard/shared/seeded-random';
import { nextSeed } from './random.js';
import type { Task } from './targets.js';

/** Hidden dense layers, then a softmax (classes) or linear (one value) output. Initial weights come from the run's seed. */
export function buildNetwork(params: AlgorithmParams<'mlp'>, inputs: number, outputs: number, task: Task, random: Random): tfl.Sequential {
  const hidden = params.hidden_units.map((units) => ({ units, activation: params.activation }));
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
