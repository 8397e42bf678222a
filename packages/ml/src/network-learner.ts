import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { TrainingData } from '@trainyard/shared/datasets';
import type { AlgorithmParams } from '@trainyard/shared/jobs';
import type { Random, SeededRandom } from '@trainyard/shared/platform';
import { Adam } from './adam.js';
import { initBackend } from './backend.js';
import { describeTabularModel } from './encoding.js';
import type { FitRequest, FitState, FittedModel, Learner } from './learner.js';
import { softmax } from './linear.js';
import { buildNetwork } from './network.js';
import { nextSeed, shuffle } from './random.js';
import { standardize } from './standardize.js';
import type { Targets } from './targets.js';
import { saveNetworkArtifact } from './tfjs-artifact.js';

/** A validation loss must beat the best so far by this much to count as better (as scikit-learn's tol). */
const minImprovement = 1e-4;

/**
 * An MLP on the wasm backend: forward and backward passes on tfjs-core ops in our own mini-batch
 * loop (the batch order comes from the run's seed), Adam with an L2 penalty on the kernels
 * (adam.ts) and early stopping: after `patience` epochs without a better validation loss
 * (training loss when nothing is held out) it stops and keeps the best epoch's weights. After each
 * epoch it offers its state to be saved, and a fit given such a state goes on from there exactly.
 */
export async function networkLearner(params: AlgorithmParams<'mlp'>, data: TrainingData, targets: Targets, random: SeededRandom): Promise<Learner> {
  await initBackend();
  return { unit: 'epoch', maxSteps: params.epochs, fit: (request) => fitNetwork(params, data, targets, random, request) };
}

async function fitNetwork(params: AlgorithmParams<'mlp'>, data: TrainingData, targets: Targets, random: SeededRandom, request: FitRequest): Promise<FittedModel> {
  const metadata = describeTabularModel('mlp', data, targets, request.rows);
  const task = targets.task;
  const width = data.featureNames.length;
  const outputs = targets.task === 'classification' ? targets.classes.length : 1;
  // Regressors learn the standardized target; losses are reported in target units.
  const { mean, std } = metadata.task === 'regression' ? metadata.target : { mean: 0, std: 1 };
  const lossScale = std ** 2;
  const inputs = (rows: readonly number[]) => standardize(rows.map((r) => data.features[r]!), metadata.features);
  /** Class indexes, or the standardized target, of data rows. */
  const truths = (rows: readonly number[]) =>
    targets.task === 'classification' ? Float32Array.from(rows, (r) => targets.classIndexes[r]!) : Float32Array.from(rows, (r) => (targets.values[r]! - mean) / std);
  const layers = initialLayers(params, width, outputs, random);
  const variables = layers.flatMap(({ kernel, bias }) => [kernel, bias]);
  let best: tf.Tensor[] | undefined;
  let validationX: tf.Tensor2D | undefined;
  try {
    const trainX = inputs(request.rows);
    const trainY = truths(request.rows);
    const validationRows = request.validationRows?.length ? request.validationRows : undefined;
    validationX = validationRows && tf.tensor2d(inputs(validationRows), [validationRows.length, width]);
    const validationY = validationRows && truths(validationRows);
    const values = variables.map((variable) => variable.dataSync() as Float32Array);
    const optimizer = new Adam(values.map((value) => value.length), params.learning_rate);
    const penalized = variables.map((_, i) => i % 2 === 0);
    const epochs = request.steps ?? params.epochs;
    const patience = request.steps === undefined ? params.patience : 0;
    let order = request.rows.map((_, i) => i);
    let loss: number[] = [];
    let valLoss: number[] = [];
    let bestStep = 0;
    let bestMonitored = Number.POSITIVE_INFINITY;
    const resume = request.resume;
    if (resume) {
      // The initial weights were drawn above all the same, so the random sequence is restored after them.
      values.forEach((value, i) => value.set(resume.weights[i]!));
      tf.tidy(() => variables.forEach((variable, i) => variable.assign(tf.tensor(values[i]!, variable.shape))));
      optimizer.restore(resume.adam);
      random.restore(resume.random);
      order = [...resume.order];
      loss = [...resume.loss];
      valLoss = [...resume.valLoss];
      bestStep = resume.bestStep;
      bestMonitored = resume.bestMonitored ?? Number.POSITIVE_INFINITY;
      best = resume.best?.map((weights, i) => tf.tensor(weights, variables[i]!.shape));
    }
    const state = (step: number): FitState => ({
      step,
      weights: values,
      adam: optimizer.state(),
      random: random.state(),
      order,
      loss,
      valLoss,
      bestStep,
      bestMonitored: Number.isFinite(bestMonitored) ? bestMonitored : null,
      ...(best && { best: best.map((weights) => weights.dataSync() as Float32Array) }),
    });

    for (let epoch = (resume?.step ?? 0) + 1; epoch <= epochs; epoch++) {
      shuffle(order, random);
      let lossSum = 0;
      for (let start = 0; start < order.length; start += params.batch_size) {
        await request.checkpoint();
        const batch = order.slice(start, start + params.batch_size);
        // The batch is copied from memory rather than gathered by tfjs (a gather measured ~0.5 ms on wasm).
        const x = new Float32Array(batch.length * width);
        const y = new Float32Array(batch.length);
        batch.forEach((row, i) => {
          x.set(trainX.subarray(row * width, (row + 1) * width), i * width);
          y[i] = trainY[row]!;
        });
        tf.tidy(() => {
          const { grads } = tf.variableGrads(() => {
            const scores = forward(layers, params.activation, tf.tensor2d(x, [batch.length, width]));
            // The loss and its gradient by the scores come from the scores' values (computed here, in
            // plain arrays); Σ scores · gradient has that same gradient, so tfjs backpropagates it.
            const { loss: batchLoss, gradient } = lossAndGradient(task, scores.dataSync() as Float32Array, y, outputs);
            lossSum += batchLoss * batch.length;
            return tf.sum(tf.mul(scores, tf.tensor2d(gradient, scores.shape)));
          }, variables);
          optimizer.step(values, variables.map((variable) => grads[variable.name]!.dataSync()), params.l2, penalized);
          variables.forEach((variable, i) => variable.assign(tf.tensor(values[i]!, variable.shape)));
        });
      }
      const epochLoss = lossSum / order.length;
      loss.push(epochLoss * lossScale);
      let monitored = epochLoss;
      if (validationX && validationY) {
        const scores = tf.tidy(() => forward(layers, params.activation, validationX!));
        monitored = lossAndGradient(task, scores.dataSync() as Float32Array, validationY, outputs).loss;
        scores.dispose();
        valLoss.push(monitored * lossScale);
      }
      await request.onStep({ step: epoch, loss: loss.at(-1)!, ...(validationX && { valLoss: valLoss.at(-1)! }) });
      if (patience > 0) {
        if (monitored < bestMonitored - minImprovement) {
          bestMonitored = monitored;
          bestStep = epoch;
          best?.forEach((weight) => weight.dispose());
          best = variables.map((variable) => variable.clone());
        } else if (epoch - bestStep >= patience) {
          break;
        }
      }
      request.saveState?.(() => state(epoch));
    }
    if (best) variables.forEach((variable, i) => variable.assign(best![i]!));
    const fitted: FittedModel = {
      outputs: (rows) => {
        const scores = tf.tidy(() => forward(layers, params.activation, tf.tensor2d(inputs(rows), [rows.length, width])));
        const values = Float64Array.from(scores.dataSync());
        scores.dispose();
        if (task === 'classification') return softmax(values, outputs);
        for (let i = 0; i < values.length; i++) values[i] = values[i]! * std + mean;
        return values;
      },
      loss,
      ...(validationX && { valLoss }),
      ...(best && { bestStep }),
      save: async () => {
        const network = buildNetwork(params, width, outputs, task);
        try {
          network.setWeights(variables);
          return await saveNetworkArtifact(network, metadata);
        } finally {
          network.dispose();
        }
      },
      dispose: () => variables.forEach((variable) => variable.dispose()),
    };
    return fitted;
  } catch (error) {
    variables.forEach((variable) => variable.dispose());
    throw error;
  } finally {
    best?.forEach((weight) => weight.dispose());
    validationX?.dispose();
  }
}

/**
 * Mean cross-entropy of the softmax of the scores (classes) or mean squared error (one value per
 * row), and its gradient by the scores: (probability − one-hot) / n, or 2·(score − truth) / n.
 */
function lossAndGradient(task: Targets['task'], scores: Float32Array, truths: Float32Array, k: number): { loss: number; gradient: Float32Array } {
  const n = truths.length;
  const gradient = new Float32Array(scores.length);
  let loss = 0;
  if (task === 'regression') {
    for (let r = 0; r < n; r++) {
      const error = scores[r]! - truths[r]!;
      loss += error * error;
      gradient[r] = (2 * error) / n;
    }
    return { loss: loss / n, gradient };
  }
  for (let r = 0, offset = 0; r < n; r++, offset += k) {
    let max = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < k; c++) max = Math.max(max, scores[offset + c]!);
    let sum = 0;
    for (let c = 0; c < k; c++) sum += Math.exp(scores[offset + c]! - max);
    const truth = truths[r]!;
    loss += max + Math.log(sum) - scores[offset + truth]!;
    for (let c = 0; c < k; c++) gradient[offset + c] = (Math.exp(scores[offset + c]! - max) / sum - (c === truth ? 1 : 0)) / n;
  }
  return { loss: loss / n, gradient };
}

interface Dense {
  kernel: tf.Variable;
  bias: tf.Variable;
}

/** Glorot-uniform kernels drawn from the run's seed, zero biases: as tfjs-layers initializes a dense layer. */
function initialLayers(params: AlgorithmParams<'mlp'>, inputs: number, outputs: number, random: Random): Dense[] {
  const sizes = [inputs, ...params.hidden_units, outputs];
  // tidy frees the initial values; the variables, which share their data, survive it.
  return sizes.slice(1).map((units, i) =>
    tf.tidy(() => ({
      kernel: tf.variable(tfl.initializers.glorotUniform({ seed: nextSeed(random) }).apply([sizes[i]!, units]) as tf.Tensor2D),
      bias: tf.variable(tf.zeros([units])),
    })),
  );
}

/** The hidden layers with their activation, then the output layer's scores (logits, or the standardized value). */
function forward(layers: Dense[], activation: AlgorithmParams<'mlp'>['activation'], x: tf.Tensor): tf.Tensor2D {
  let output = x as tf.Tensor2D;
  layers.forEach(({ kernel, bias }, i) => {
    output = affine(output, kernel, bias);
    if (i < layers.length - 1) output = activations[activation](output);
  });
  return output;
}

const activations = { relu: tf.relu, tanh: tf.tanh, sigmoid: tf.sigmoid } as const satisfies Record<string, (x: tf.Tensor2D) => tf.Tensor2D>;

/**
 * x·w + b with a gradient that transposes explicitly: the wasm backend's matMul with a transposed
 * operand (what tfjs' own gradient uses) measured 8–10× slower than a transpose and a plain matMul,
 * and made up most of a training step.
 */
const affine = tf.customGrad(((x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, save: tf.GradSaveFunc) => {
  save([x, w]);
  return {
    value: tf.add(tf.matMul(x, w), b),
    gradFunc: (dy: tf.Tensor2D, [savedX, savedW]: tf.Tensor[]) => [
      tf.matMul(dy, tf.transpose(savedW as tf.Tensor2D)),
      tf.matMul(tf.transpose(savedX as tf.Tensor2D), dy),
      tf.sum(dy, 0),
    ],
  };
  // customGrad's typing takes one variadic signature; ours has a fixed (x, w, b) shape.
}) as unknown as Parameters<typeof tf.customGrad>[0]) as (x: tf.Tensor2D, w: tf.Tensor, b: tf.Tensor) => tf.Tensor2D;
