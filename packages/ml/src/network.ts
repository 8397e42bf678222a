import * as tfl from '@tensorflow/tfjs-layers';
import type { AlgorithmParams } from '@trainyard/shared/jobs';
import type { Task } from './targets.js';

/**
 * Hidden dense layers, then a softmax (classes) or linear (one value) output: the stored form of a
 * trained MLP (its weights are set from training), which prediction loads with tfjs-layers.
 */
export function buildNetwork(params: AlgorithmParams<'mlp'>, inputs: number, outputs: number, task: Task): tfl.Sequential {
  const hidden = params.hidden_units.map((units) => ({ units, activation: params.activation }));
  const output = { units: outputs, activation: task === 'classification' ? ('softmax' as const) : ('linear' as const) };
  return tfl.sequential({
    layers: [...hidden, output].map((layer, i) => tfl.layers.dense({ ...layer, ...(i === 0 && { inputShape: [inputs] }) })),
  });
}
