import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { TextTrainingData, TrainingData } from '@trainyard/shared/datasets';
import type { Algorithm, AlgorithmParams, TrainProgress } from '@trainyard/shared/jobs';
import { DataError, seededRandom, type Random } from '@trainyard/shared/platform';
import { saveArtifact, type ModelFiles, type ModelMetadata } from './artifact.js';
import { initBackend } from './backend.js';
import { fitEncoding, type InputEncoding } from './encoding.js';
import { classificationMetrics, regressionMetrics } from './metrics.js';
import { buildNetwork } from './network.js';
import { randomSeed, shuffle } from './random.js';
import { splitRows } from './split.js';
import { targetsFor, type Label, type Targets, type Task } from './targets.js';
import { buildTextNetwork } from './text-network.js';
import { parseTrainSpec, type TrainSpec } from './train-spec.js';

export interface TrainOptions {
  algorithm: Algorithm;
  /** As algorithmParams[algorithm] outputs them. */
  params: AlgorithmParams<Algorithm>;
  /** Called after every epoch. */
  onEpoch?: (progress: TrainProgress) => void;
  /** Training stops at the next batch and throws an error named AbortError. */
  signal?: AbortSignal;
  /** One human-readable line per epoch. */
  log?: (line: string) => void;
}

export interface TrainedModel {
  files: ModelFiles;
  task: Task;
  /** What predict takes: feature rows, or texts. */
  input: 'tabular' | 'text';
  /** Text models: the text column. */
  featureNames: string[];
  /** Classifiers only, in output order. */
  classes?: Label[];
  /**
   * accuracy and f1_macro (classifiers) or rmse and r2 (regressors), on the validation rows, or on
   * the training rows when none are held out; loss and val_loss of the last epoch (regressors: MSE
   * in target units squared).
   */
  metrics: Record<string, number>;
  sizeBytes: number;
  /** The seed used, given or drawn: training on the same data with it gives the same model. */
  seed: number;
}

interface Examples {
  rows: number[];
  x: tf.Tensor2D;
  y: tf.Tensor2D;
}

/** Trains one model on the wasm backend and returns it as stored files with its metrics. */
export async function trainModel(data: TrainingData | TextTrainingData, options: TrainOptions): Promise<TrainedModel> {
  await initBackend();
  throwIfAborted(options.signal);
  // Parsed again to tie the params to the algorithm (and to catch a mismatch, as a ZodError).
  const spec = parseTrainSpec(options.algorithm, options.params);
  const { params } = spec;
  const rowCount = data.labels.length;
  if (rowCount < 2) throw new DataError(`training needs at least 2 rows; got ${rowCount}`);
  const seed = params.seed ?? randomSeed();
  const random = seededRandom(seed);
  const targets = targetsFor(spec.algorithm, data.labels);
  const strata = targets.task === 'classification' ? targets.classIndexes : undefined;
  const split = splitRows(rowCount, params.validation_split, random, strata);
  const encoding = fitEncoding(spec, data, targets, split.train);
  const { metadata } = encoding;

  const owned: { dispose(): void }[] = [];
  const own = <T extends { dispose(): void }>(item: T): T => (owned.push(item), item);
  try {
    const examples = (rows: number[]): Examples => ({
      rows,
      x: own(tf.tensor2d(encoding.encode(rows), [rows.length, encoding.width])),
      y: own(encodeTargets(targets, metadata, rows)),
    });
    const training = examples(split.train);
    const validation = split.validation.length > 0 ? examples(split.validation) : undefined;
    const outputs = targets.task === 'classification' ? targets.classes.length : 1;
    const network = own(networkFor(spec, encoding, outputs, targets.task, random));
    const optimizer = own(tf.train.adam(params.learning_rate));

    const losses = await fit(network, optimizer, { training, validation, targets, metadata, spec, options, random });
    const metrics = { ...evaluate(network, validation ?? training, targets, metadata), ...losses };
    const files = await saveArtifact(network, metadata);
    return {
      files,
      task: targets.task,
      input: metadata.input,
      featureNames: metadata.input === 'text' ? [metadata.textName] : metadata.featureNames,
      ...(targets.task === 'classification' && { classes: targets.classes }),
      metrics,
      sizeBytes: Buffer.byteLength(files['model.json']) + files['weights.bin'].byteLength,
      seed,
    };
  } finally {
    for (const item of owned) item.dispose();
  }
}

function networkFor(spec: TrainSpec, encoding: InputEncoding, outputs: number, task: Task, random: Random) {
  if (spec.algorithm !== 'text-classifier') return buildNetwork(spec, encoding.width, outputs, task, random);
  if (encoding.vocabularySize === undefined) throw new Error('a text encoding has a vocabulary');
  return buildTextNetwork(spec.params, encoding.vocabularySize, outputs, random);
}

/** One-hot classes, or the standardized target. */
function encodeTargets(targets: Targets, metadata: ModelMetadata, rows: number[]): tf.Tensor2D {
  if (targets.task === 'classification') {
    const width = targets.classes.length;
    const oneHot = new Float32Array(rows.length * width);
    rows.forEach((r, i) => (oneHot[i * width + targets.classIndexes[r]!] = 1));
    return tf.tensor2d(oneHot, [rows.length, width]);
  }
  const { mean, std } = targetScale(metadata);
  return tf.tensor2d(Float32Array.from(rows, (r) => (targets.values[r]! - mean) / std), [rows.length, 1]);
}

/** Regression trains on the standardized target; classes are not scaled. */
function targetScale(metadata: ModelMetadata): { mean: number; std: number } {
  return metadata.task === 'regression' ? metadata.target : { mean: 0, std: 1 };
}

function lossOf(task: Task, labels: tf.Tensor, predictions: tf.Tensor): tf.Scalar {
  return task === 'classification'
    ? tf.mean(tfl.metrics.categoricalCrossentropy(labels, predictions))
    : tf.losses.meanSquaredError(labels, predictions);
}

interface FitContext {
  training: Examples;
  validation: Examples | undefined;
  targets: Targets;
  metadata: ModelMetadata;
  spec: TrainSpec;
  options: TrainOptions;
  random: Random;
}

/**
 * Mini-batch training in our own loop rather than model.fit: the batch order comes from the run's
 * seed, and abort is checked before every batch.
 */
async function fit(network: tfl.LayersModel, optimizer: tf.Optimizer, context: FitContext): Promise<{ loss: number; val_loss?: number }> {
  const { training, validation, targets, metadata, spec, options, random } = context;
  const { epochs, batch_size: batchSize } = spec.params;
  const task = targets.task;
  // Reported in target units, which makes a regression loss readable.
  const lossScale = targetScale(metadata).std ** 2;
  const breathe = breather(20);
  const order = training.rows.map((_, i) => i);
  let last: { loss: number; val_loss?: number } = { loss: Number.NaN };

  for (let epoch = 1; epoch <= epochs; epoch++) {
    shuffle(order, random);
    let lossSum = 0;
    for (let start = 0; start < order.length; start += batchSize) {
      throwIfAborted(options.signal);
      const batch = order.slice(start, start + batchSize);
      const loss = tf.tidy(() => {
        const indexes = tf.tensor1d(batch, 'int32');
        const inputs = tf.gather(training.x, indexes);
        const labels = tf.gather(training.y, indexes);
        return optimizer.minimize(() => lossOf(task, labels, network.apply(inputs, { training: true }) as tf.Tensor), true)!;
      });
      lossSum += loss.dataSync()[0]! * batch.length;
      loss.dispose();
      await breathe();
    }
    last = { loss: (lossSum / order.length) * lossScale };
    if (validation) {
      const valLoss = tf.tidy(() => lossOf(task, validation.y, network.apply(validation.x) as tf.Tensor));
      last.val_loss = valLoss.dataSync()[0]! * lossScale;
      valLoss.dispose();
    }
    options.onEpoch?.({ percent: Math.round((epoch / epochs) * 100), epoch, epochs, loss: last.loss });
    options.log?.(`epoch ${epoch}/${epochs}: loss ${last.loss.toPrecision(5)}${last.val_loss === undefined ? '' : `, val_loss ${last.val_loss.toPrecision(5)}`}`);
  }
  return last;
}

function evaluate(network: tfl.LayersModel, examples: Examples, targets: Targets, metadata: ModelMetadata) {
  const output = tf.tidy(() => network.apply(examples.x) as tf.Tensor);
  const values = output.dataSync();
  output.dispose();
  if (targets.task === 'classification') {
    const width = targets.classes.length;
    const predicted = examples.rows.map((_, i) => {
      let best = 0;
      for (let j = 1; j < width; j++) if (values[i * width + j]! > values[i * width + best]!) best = j;
      return best;
    });
    return classificationMetrics(examples.rows.map((r) => targets.classIndexes[r]!), predicted);
  }
  const { mean, std } = targetScale(metadata);
  return regressionMetrics(
    examples.rows.map((r) => targets.values[r]!),
    examples.rows.map((_, i) => values[i]! * std + mean),
  );
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw Object.assign(new Error('training was aborted', { cause: signal.reason }), { name: 'AbortError' });
}

/**
 * Hands the event loop a turn at most every `everyMs`, so an abort message, a timer or a lock
 * renewal can run while a long training keeps the thread busy.
 */
function breather(everyMs: number): () => Promise<void> {
  let last = performance.now();
  return async () => {
    if (performance.now() - last < everyMs) return;
    await new Promise((resolve) => setImmediate(resolve));
    last = performance.now();
  };
}
