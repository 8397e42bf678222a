import { createHash } from 'node:crypto';
import type { TextTrainingData, TrainingData } from '@trainyard/shared/datasets';
import type { Algorithm, AlgorithmParams, LossCurve, ResumePoint, RowMetrics, TrainProgress } from '@trainyard/shared/jobs';
import { DataError, seededRandom, type SeededRandom } from '@trainyard/shared/platform';
import type { ModelFiles } from './artifact.js';
import { checkpointWriter, resumableCheckpoint, type Checkpoints, type FirstFit } from './checkpoint.js';
import type { FittedModel, Learner, StepReport } from './learner.js';
import { linearRegressionLearner, logisticRegressionLearner, textClassifierLearner } from './linear-learners.js';
import { classificationMetrics, regressionMetrics } from './metrics.js';
import { randomSeed } from './random.js';
import { splitRows } from './split.js';
import { targetsFor, type Label, type Targets, type Task } from './targets.js';
import { parseTrainSpec, type TrainSpec } from './train-spec.js';

export interface TrainOptions {
  algorithm: Algorithm;
  /** As algorithmParams[algorithm] outputs them. */
  params: AlgorithmParams<Algorithm>;
  /** Called after every epoch or solver iteration. */
  onEpoch?: (progress: TrainProgress) => void;
  /** Training stops at the next batch or iteration and throws an error named AbortError. */
  signal?: AbortSignal;
  /** One human-readable line per epoch or iteration. */
  log?: (line: string) => void;
  /** Networks: checkpoints now and then, and resumes from the saved one (the full-batch solvers finish in milliseconds). */
  checkpoints?: Checkpoints;
  /** Told when the training goes on from a checkpoint instead of its first epoch. */
  onResume?: (from: ResumePoint) => void;
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
   * For existing clients: accuracy and f1_macro (classifiers) or rmse and r2 (regressors) of the
   * validation rows when rows were held out, with the training `loss` and `val_loss` of the model
   * measured there; else the published model's on the rows it was fitted on, with its `loss`.
   */
  metrics: Record<string, number>;
  /** The model fitted on the training split, measured on the held-out rows; absent when none are held out. */
  validation?: RowMetrics;
  /** The published model, measured on the rows it was fitted on. */
  training: RowMetrics & { refit: boolean };
  lossCurve: LossCurve;
  /** sha256 of the training data (see dataHash). */
  dataHash: string;
  warnings: string[];
  sizeBytes: number;
  /** The seed used, given or drawn: training on the same data with it gives the same model. */
  seed: number;
  /** Time spent in trainModel (this run's: epochs before a resume are left out). */
  fitMs: number;
}

/**
 * Fits a model and returns it as stored files with its metrics. With rows held out, a first fit on
 * the rest is measured on them (and chooses the epochs, for a network with early stopping); then,
 * unless `refit` is false, the published model is fitted again on every row. With checkpoints, a
 * network saves its state now and then, and a training that finds a checkpoint of itself goes on
 * from there: with the same seed it ends exactly as it would have without the interruption.
 */
export async function trainModel(data: TrainingData | TextTrainingData, options: TrainOptions): Promise<TrainedModel> {
  const started = performance.now();
  throwIfAborted(options.signal);
  // Parsed again to tie the params to the algorithm (and to catch a mismatch, as a ZodError).
  const spec = parseTrainSpec(options.algorithm, options.params);
  const { params } = spec;
  const rowCount = data.labels.length;
  if (rowCount < 2) throw new DataError(`training needs at least 2 rows; got ${rowCount}`);
  const hash = dataHash(data);
  const identity = { algorithm: spec.algorithm, params: JSON.stringify(params), dataHash: hash };
  const resumable = options.checkpoints && resumableCheckpoint(options.checkpoints.saved, { ...identity, seed: params.seed });
  if (typeof resumable === 'string') options.log?.(`checkpoint not resumed from: ${resumable}; starting at epoch 1`);
  const resumed = typeof resumable === 'object' ? resumable : undefined;
  const seed = resumed?.seed ?? params.seed ?? randomSeed();
  const random = seededRandom(seed);
  const { targets, warnings } = targetsFor(spec, data.labels);
  const strata = targets.task === 'classification' ? Array.from(targets.classIndexes) : undefined;
  const split = splitRows(rowCount, params.validation_split, random, strata);
  const learner = await learnerFor(spec, data, targets, random);
  const heldOut = split.validation.length > 0;
  const refit = heldOut && params.refit;
  const resumedFrom = resumed && { phase: resumed.phase, epoch: resumed.state.step };
  if (resumedFrom) {
    options.onResume?.(resumedFrom);
    options.log?.(`resumed from a checkpoint after ${resumedFrom.phase} ${learner.unit} ${resumedFrom.epoch}`);
  }
  const progress = progressReporter(learner, refit, options, resumedFrom);
  const writer = options.checkpoints && checkpointWriter(options.checkpoints, { ...identity, seed }, (error) => options.log?.(`checkpoint not saved: ${(error as Error).message}`));

  let first: FittedModel | undefined;
  let final: FittedModel | undefined;
  try {
    let firstFit: FirstFit;
    if (resumed?.phase === 'refit') {
      // The first fit ended before the interruption: its outcome came with the checkpoint (resumableCheckpoint checked).
      firstFit = resumed.first!;
    } else {
      first = await learner.fit({
        rows: split.train,
        ...(heldOut && { validationRows: split.validation }),
        onStep: progress.step('fit'),
        checkpoint: progress.checkpoint,
        ...(resumed && { resume: resumed.state }),
        ...(writer && { saveState: writer.phase('fit') }),
      });
      firstFit = {
        loss: first.loss,
        ...(first.valLoss && { valLoss: first.valLoss }),
        ...(first.bestStep && { bestStep: first.bestStep }),
        ...(heldOut && { validation: measure(first, split.validation, targets) }),
      };
      final = first;
    }
    const { validation } = firstFit;
    const everyRow = Array.from({ length: rowCount }, (_, i) => i);
    if (refit) {
      final = await learner.fit({
        rows: everyRow,
        ...(firstFit.bestStep && { steps: firstFit.bestStep }),
        ...(first && { warmStart: first }),
        onStep: progress.step('refit'),
        checkpoint: progress.checkpoint,
        ...(resumed?.phase === 'refit' && { resume: resumed.state }),
        ...(writer && { saveState: writer.phase('refit', firstFit) }),
      });
    }
    if (!final) throw new Error('a training resumed in its refit that does not refit');
    const training = { ...measure(final, refit ? everyRow : split.train, targets), refit };
    const files = await final.save();
    const chosen = (firstFit.bestStep ?? firstFit.loss.length) - 1;
    const { loss: validationLoss, ...validationMetrics } = validation?.metrics ?? {};
    return {
      files,
      task: targets.task,
      input: 'texts' in data ? 'text' : 'tabular',
      featureNames: 'texts' in data ? [data.textName] : data.featureNames,
      ...(targets.task === 'classification' && { classes: targets.classes }),
      metrics: validation ? { ...validationMetrics, loss: firstFit.loss[chosen]!, val_loss: validationLoss! } : training.metrics,
      ...(validation && { validation }),
      training,
      // Six significant digits draw the same curve in half the JSON (a version may keep thousands of steps).
      lossCurve: {
        unit: learner.unit,
        loss: significant(firstFit.loss),
        ...(firstFit.valLoss && { val_loss: significant(firstFit.valLoss) }),
        ...(firstFit.bestStep && { best_step: firstFit.bestStep }),
        ...(refit && { refit_loss: significant(final.loss) }),
      },
      dataHash: hash,
      warnings,
      sizeBytes: Buffer.byteLength(files['model.json']) + files['weights.bin'].byteLength,
      seed,
      fitMs: Math.round((performance.now() - started) * 10) / 10,
    };
  } finally {
    first?.dispose();
    if (final !== first) final?.dispose();
    await writer?.settled();
  }
}

const significant = (values: readonly number[]) => values.map((value) => Number(value.toPrecision(6)));

/** Networks load TensorFlow.js on first use; the linear models never do. */
async function learnerFor(spec: TrainSpec, data: TrainingData | TextTrainingData, targets: Targets, random: SeededRandom): Promise<Learner> {
  if (spec.algorithm === 'text-classifier') {
    if (!('texts' in data)) throw new DataError('text-classifier trains on texts: name the dataset\'s text column ("text") or send inline texts');
    return textClassifierLearner(spec.params, data, classTargets(targets));
  }
  if ('texts' in data) throw new DataError(`${spec.algorithm} trains on numeric features, not texts; text-classifier trains on texts`);
  if (spec.algorithm === 'linear-regression') {
    if (targets.task !== 'regression') throw new Error('linear regression regresses');
    return linearRegressionLearner(spec.params, data, targets);
  }
  if (spec.algorithm === 'logistic-regression') return logisticRegressionLearner(spec.params, data, classTargets(targets));
  const { networkLearner } = await import('./network-learner.js');
  return networkLearner(spec.params, data, targets, random);
}

function classTargets(targets: Targets) {
  if (targets.task !== 'classification') throw new Error('a classifier needs classes');
  return targets;
}

/** Metrics of a fitted model on data rows, with its mean loss there (cross-entropy, or MSE in target units). */
function measure(model: FittedModel, rows: readonly number[], targets: Targets): RowMetrics {
  const outputs = model.outputs(rows);
  if (targets.task === 'classification') {
    const width = targets.classes.length;
    let loss = 0;
    const actual = rows.map((r) => targets.classIndexes[r]!);
    const predicted = rows.map((_, i) => {
      let best = 0;
      for (let j = 1; j < width; j++) if (outputs[i * width + j]! > outputs[i * width + best]!) best = j;
      loss -= Math.log(Math.max(outputs[i * width + actual[i]!]!, 1e-12));
      return best;
    });
    return { rows: rows.length, metrics: { ...classificationMetrics(actual, predicted), loss: loss / rows.length } };
  }
  const actual = rows.map((r) => targets.values[r]!);
  // Summed as the solvers sum their loss curve, so a one-step curve and this loss are equal, not just close.
  const loss = actual.reduce((sum, y, i) => sum + (y - outputs[i]!) ** 2, 0) / rows.length;
  return { rows: rows.length, metrics: { ...regressionMetrics(actual, Array.from(outputs)), loss } };
}

/**
 * sha256 over the training data as read, so two trainings can tell whether they saw the same data:
 * the feature names, every feature value as a little-endian float64 row after row, then the
 * targets as JSON; for text data the text column's name, then every text with its target as JSON.
 */
export function dataHash(data: TrainingData | TextTrainingData): string {
  const hash = createHash('sha256');
  if ('texts' in data) {
    hash.update(JSON.stringify({ text: data.textName }));
    data.texts.forEach((text, i) => hash.update(`\n${JSON.stringify([text, data.labels[i]])}`));
    return hash.digest('hex');
  }
  const width = data.featureNames.length;
  const values = new Float64Array(data.features.length * width);
  data.features.forEach((row, r) => values.set(row, r * width));
  hash.update(JSON.stringify({ features: data.featureNames }));
  hash.update(new Uint8Array(values.buffer));
  hash.update(JSON.stringify(data.labels));
  return hash.digest('hex');
}

/**
 * Per phase, what happens after each step: progress (the fit is the first half when a refit
 * follows), a log line, the abort check and now and then a turn for the event loop, so an abort
 * message, a timer or a lock renewal can run while a long training keeps the thread busy. A
 * network also checks before every mini-batch.
 */
function progressReporter(learner: Learner, refit: boolean, options: TrainOptions, resumedFrom: ResumePoint | undefined) {
  const breathe = breather(20);
  const checkpoint = async () => {
    throwIfAborted(options.signal);
    await breathe();
  };
  const step = (phase: TrainProgress['phase']) => {
    const [from, share] = phase === 'refit' ? [50, 50] : [0, refit ? 50 : 100];
    return async ({ step, loss, valLoss }: StepReport) => {
      const steps = learner.maxSteps;
      const percent = Math.round(from + (Math.min(step, steps) / steps) * share);
      options.onEpoch?.({
        percent,
        epoch: step,
        epochs: steps,
        loss,
        ...(valLoss !== undefined && { val_loss: valLoss }),
        phase,
        ...(resumedFrom && { resumed_from: resumedFrom }),
      });
      options.log?.(
        `${phase} ${learner.unit} ${step}/${steps}: loss ${loss.toPrecision(5)}${valLoss === undefined ? '' : `, val_loss ${valLoss.toPrecision(5)}`}`,
      );
      await checkpoint();
    };
  };
  return { step, checkpoint };
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw Object.assign(new Error('training was aborted', { cause: signal.reason }), { name: 'AbortError' });
}

/** Resolves at once unless `everyMs` passed since the last turn it gave the event loop. */
function breather(everyMs: number): () => Promise<void> {
  let last = performance.now();
  return async () => {
    if (performance.now() - last < everyMs) return;
    await new Promise((resolve) => setImmediate(resolve));
    last = performance.now();
  };
}
