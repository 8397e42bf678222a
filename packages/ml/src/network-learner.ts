import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { TrainingData } from '@trainyard/shared/datasets';
import type { AlgorithmParams } from '@trainyard/shared/jobs';
import type { Random } from '@trainyard/shared/seeded-random';
import { initBackend } from './backend.js';
import { describeTabularModel } from './encoding.js';
import type { FitRequest, FittedModel, Learner } from './learner.js';
import { buildNetwork } from './network.js';
import { shuffle } from './random.js';
import { standardize } from './standardize.js';
import type { Targets } from './targets.js';
import { saveNetworkArtifact } from './tfjs-artifact.js';

/** A validation loss must beat the best so far by this much to count as better (as scikit-learn's tol). */
const minImprovement = 1e-4;

/**
 * An MLP on the wasm backend, trained with Adam in our own mini-batch loop (the batch order comes
 * from the run's seed), an L2 penalty on the kernels and early stopping: after `patience` epochs
 * without a better validation loss (training loss when nothing is held out) it stops and keeps
 * the best epoch's weights.
 */
export async function networkLearner(params: AlgorithmParams<'mlp'>, data: TrainingData, targets: Targets, random: Random): Promise<Learner> {
  await initBackend();
  return { unit: 'epoch', maxSteps: params.epochs, fit: (request) => fitNetwork(params, data, targets, random, request) };
}

async function fitNetwork(params: AlgorithmParams<'mlp'>, data: TrainingData, targets: Targets, random: Random, request: FitRequest): Promise<FittedModel> {
  const metadata = describeTabularModel('mlp', data, targets, request.rows);
  const task = targets.task;
  const outputs = targets.task === 'classification' ? targets.classes.length : 1;
  // Regressors learn the standardized target; losses are reported in target units.
  const { mean, std } = metadata.task === 'regression' ? metadata.target : { mean: 0, std: 1 };
  const lossScale = std ** 2;
  const owned: tf.Tensor[] = [];
  const inputs = (rows: readonly number[]) => standardize(rows.map((r) => data.features[r]!), metadata.features);
  const examples = (rows: readonly number[]) => {
    const x = tf.tensor2d(inputs(rows), [rows.length, data.featureNames.length]);
    const y =
      targets.task === 'classification'
        ? tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(Int32Array.from(rows, (r) => targets.classIndexes[r]!), 'int32'), outputs), 'float32'))
        : tf.tensor2d(Float32Array.from(rows, (r) => (targets.values[r]! - mean) / std), [rows.length, 1]);
    owned.push(x, y);
    return { x, y };
  };
  const network = buildNetwork(params, data.featureNames.length, outputs, task, random);
  let best: tf.Tensor[] | undefined;
  try {
    const training = examples(request.rows);
    const validation = request.validationRows?.length ? examples(request.validationRows) : undefined;
    const optimizer = tf.train.adam(params.learning_rate);
    const kernels = network.trainableWeights.filter((weight) => weight.name.endsWith('kernel')).map((weight) => weight.read() as tf.Variable);
    const epochs = request.steps ?? params.epochs;
    const patience = request.steps === undefined ? params.patience : 0;
    const order = request.rows.map((_, i) => i);
    const loss: number[] = [];
    const valLoss: number[] = [];
    let bestStep = 0;
    let bestMonitored = Number.POSITIVE_INFINITY;

    try {
      for (let epoch = 1; epoch <= epochs; epoch++) {
        shuffle(order, random);
        let lossSum = 0;
        for (let start = 0; start < order.length; start += params.batch_size) {
          const batch = order.slice(start, start + params.batch_size);
          const batchLoss = tf.tidy(() => {
            const indexes = tf.tensor1d(batch, 'int32');
            const x = tf.gather(training.x, indexes);
            const y = tf.gather(training.y, indexes);
            const { value, grads } = tf.variableGrads(() => lossOf(task, y, network.apply(x, { training: true }) as tf.Tensor));
            // The L2 penalty's gradient, 2·l2·w, added by hand: cheaper than taping the penalty.
            if (params.l2 > 0) for (const kernel of kernels) grads[kernel.name] = tf.add(grads[kernel.name]!, tf.mul(kernel, 2 * params.l2));
            optimizer.applyGradients(Object.entries(grads).map(([name, tensor]) => ({ name, tensor })));
            return value;
          });
          lossSum += batchLoss.dataSync()[0]! * batch.length;
          batchLoss.dispose();
        }
        const epochLoss = lossSum / order.length;
        loss.push(epochLoss * lossScale);
        let monitored = epochLoss;
        if (validation) {
          const value = tf.tidy(() => lossOf(task, validation.y, network.apply(validation.x) as tf.Tensor));
          monitored = value.dataSync()[0]!;
          value.dispose();
          valLoss.push(monitored * lossScale);
        }
        await request.onStep({ step: epoch, loss: loss.at(-1)!, ...(validation && { valLoss: valLoss.at(-1)! }) });
        if (patience === 0) continue;
        if (monitored < bestMonitored - minImprovement) {
          bestMonitored = monitored;
          bestStep = epoch;
          best?.forEach((weight) => weight.dispose());
          best = network.getWeights().map((weight) => weight.clone());
        } else if (epoch - bestStep >= patience) {
          break;
        }
      }
    } finally {
      optimizer.dispose();
    }
    if (best) network.setWeights(best);
    const fitted: FittedModel = {
      outputs: (rows) => {
        const output = tf.tidy(() => network.predict(tf.tensor2d(inputs(rows), [rows.length, data.featureNames.length])) as tf.Tensor);
        const values = Float64Array.from(output.dataSync());
        output.dispose();
        if (task === 'regression') for (let i = 0; i < values.length; i++) values[i] = values[i]! * std + mean;
        return values;
      },
      loss,
      ...(validation && { valLoss }),
      ...(best && { bestStep }),
      save: () => saveNetworkArtifact(network, metadata),
      dispose: () => network.dispose(),
    };
    return fitted;
  } catch (error) {
    network.dispose();
    throw error;
  } finally {
    best?.forEach((weight) => weight.dispose());
    for (const tensor of owned) tensor.dispose();
  }
}

function lossOf(task: Targets['task'], labels: tf.Tensor, predictions: tf.Tensor): tf.Scalar {
  return task === 'classification'
    ? tf.mean(tfl.metrics.categoricalCrossentropy(labels, predictions))
    : tf.losses.meanSquaredError(labels, predictions);
}
