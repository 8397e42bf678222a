import { z } from 'zod';
import { notifyRequest } from '../notify/request.js';
import { tenantName } from '../platform/tenants.js';
import { columnName, datasetName, modelName } from '../platform/names.js';
import { featureRow, jobDeadline, label, priority, requestedDeadline, text, retryOf } from './fields.js';

const epochs = z.int().min(1).max(5_000).default(100);
const learningRate = z.number().positive().max(10).default(0.05);
const batchSize = z.int().min(1).max(8_192).default(32);
const validationSplit = z.number().min(0).max(0.5).default(0.2);
const seed = z.int().min(0).max(2 ** 31 - 1).optional();
/** Penalty on the squared weights, added to the mean loss (on standardized features and targets). */
const l2 = z.number().min(0).max(100);

const commonParams = {
  /** Networks: passes over the data. Full-batch solvers: the most iterations (each one pass or a few). */
  epochs,
  /** Networks only (Adam's step size); the full-batch solvers choose their own steps. */
  learning_rate: learningRate,
  /** Networks only; the full-batch solvers read every row at every step. */
  batch_size: batchSize,
  validation_split: validationSplit,
  seed,
  /** After measuring on the validation rows, fit the published model again on every row. */
  refit: z.boolean().default(true),
};

/** Hyper-parameters per algorithm; unknown keys are rejected so a typo never trains silently with a default. */
export const algorithmParams = {
  // Ordinary least squares by default, as scikit-learn's LinearRegression.
  'linear-regression': z.strictObject({ ...commonParams, l2: l2.default(0) }),
  'logistic-regression': z.strictObject({ ...commonParams, l2: l2.default(1e-3) }),
  mlp: z.strictObject({
    ...commonParams,
    // Large batches and a bold step: few steps per epoch, and early stopping ends the run.
    epochs: epochs.removeDefault().default(200),
    learning_rate: learningRate.removeDefault().default(0.01),
    batch_size: batchSize.removeDefault().default(256),
    hidden_units: z.array(z.int().min(1).max(1_024)).min(1).max(8).default([64]),
    activation: z.enum(['relu', 'tanh', 'sigmoid']).default('relu'),
    // Early stopping regularizes; a penalty made the validation loss creep down for many more epochs.
    l2: l2.default(0),
    /** Epochs without a better validation loss (training loss when nothing is held out) before training stops; 0 never stops early. */
    patience: z.int().min(0).max(5_000).default(10),
    /** What the network predicts; inferred from the target when absent (numbers are regressed, with a warning when they look like classes). */
    task: z.enum(['classification', 'regression']).optional(),
  }),
  'text-classifier': z.strictObject({
    ...commonParams,
    l2: l2.default(1e-3),
    /** Width of the embedding predict returns (the text's TF-IDF vector, hashed to this many dimensions). */
    embedding_dim: z.int().min(1).max(4_096).default(256),
    /** The most frequent training terms (words and n-grams) become features. */
    max_vocab: z.int().min(1).max(50_000).default(10_000),
    /** Tokens read per text; the rest is cut off. */
    max_length: z.int().min(1).max(1_000).default(32),
    /** Occurrences a term needs in the training texts to become a feature. */
    min_count: z.int().min(1).max(1_000).default(1),
    /** Longest word sequence that becomes a term: 1 words only, 2 words and pairs of words, … */
    ngrams: z.int().min(1).max(3).default(1),
  }),
} as const;
export type Algorithm = keyof typeof algorithmParams;
export const algorithms = Object.keys(algorithmParams) as Algorithm[];
export type AlgorithmParams<A extends Algorithm> = z.output<(typeof algorithmParams)[A]>;

const labels = z.array(label).min(2).max(100_000);

/** Inline data has one label per row (or text). */
function checkLabelCount(ctx: z.RefinementCtx, labelCount: number, rows: number, what: string): void {
  if (labelCount !== rows) ctx.addIssue({ code: 'custom', path: ['labels'], message: `has ${labelCount} labels for ${rows} ${what}` });
}

export const inlineDataset = z
  .strictObject({ features: z.array(featureRow).min(2).max(100_000), labels })
  .superRefine((data, ctx) => {
    checkLabelCount(ctx, data.labels.length, data.features.length, 'feature rows');
    const width = data.features[0]?.length;
    const ragged = data.features.findIndex((row) => row.length !== width);
    if (ragged >= 0) {
      ctx.addIssue({ code: 'custom', path: ['features', ragged], message: `has ${data.features[ragged]!.length} values, row 0 has ${width}` });
    }
  });

export const datasetRef = z.union([
  z.strictObject({ name: datasetName, target: columnName }),
  z.strictObject({ inline: inlineDataset }),
]);
export type DatasetRef = z.output<typeof datasetRef>;

export const inlineTextDataset = z
  .strictObject({ texts: z.array(text).min(2).max(100_000), labels })
  .superRefine((data, ctx) => checkLabelCount(ctx, data.labels.length, data.texts.length, 'texts'));

/** Text models read one text column (or inline texts) and a target. */
export const textDatasetRef = z.union([
  z.strictObject({ name: datasetName, text: columnName, target: columnName }),
  z.strictObject({ inline: inlineTextDataset }),
]);
export type TextDatasetRef = z.output<typeof textDatasetRef>;

export function isTextDatasetRef(ref: DatasetRef | TextDatasetRef): ref is TextDatasetRef {
  return 'text' in ref || ('inline' in ref && 'texts' in ref.inline);
}
const trainVariant = <A extends Algorithm, D extends z.ZodType>(algorithm: A, dataset: D) =>
  z.strictObject({
    model: modelName,
    algorithm: z.literal(algorithm),
    dataset,
    // Cast: TypeScript cannot call .default on the union of every algorithm's schema.
    params: (algorithmParams[algorithm] as z.ZodType<AlgorithmParams<Algorithm>>).default(() => algorithmParams[algorithm].parse({}) as never),
    priority: priority.optional(),
    notify: notifyRequest.optional(),
    ...requestedDeadline,
  });

/** POST /v1/train */
export const trainRequest = z.discriminatedUnion('algorithm', [
  trainVariant('linear-regression', datasetRef),
  trainVariant('logistic-regression', datasetRef),
  trainVariant('mlp', datasetRef),
  trainVariant('text-classifier', textDatasetRef),
]);
export type TrainRequest = z.output<typeof trainRequest>;
/** What a train job carries: the request as validated, minus what only the queue needs. */
export const trainJobData = z.object({
  /** Whose task it is; absent on jobs queued before tenants existed, which belong to `default`. */
  tenant: tenantName.optional(),
  model: modelName,
  algorithm: z.enum(algorithms as [Algorithm, ...Algorithm[]]),
  dataset: z.union([datasetRef, textDatasetRef]),
  params: z.record(z.string(), z.unknown()),
  notify: notifyRequest.optional(),
  retry_of: retryOf,
  deadline: jobDeadline,
});
export type TrainJobData = z.output<typeof trainJobData>;

/** Metrics of a model on a set of rows, and how many rows that was. */
export const rowMetrics = z.object({ rows: z.int(), metrics: z.record(z.string(), z.number()) });
export type RowMetrics = z.output<typeof rowMetrics>;

/** A training's loss per step: epochs for networks, iterations for the full-batch solvers. */
export const lossCurve = z.object({
  unit: z.enum(['epoch', 'iteration']),
  /** Mean training loss (penalty left out) of the model fitted on the training split, or on every row when nothing is held out. */
  loss: z.array(z.number()),
  /** Mean loss on the held-out rows, per step; absent when nothing is held out. */
  val_loss: z.array(z.number()).optional(),
  /** Early stopping: the step whose model was kept, 1-based. */
  best_step: z.int().optional(),
  /** The refit on every row: its training loss per step. */
  refit_loss: z.array(z.number()).optional(),
});
export type LossCurve = z.output<typeof lossCurve>;

/** A training's result: the version it published and how that version measures. */
export const trainResult = z.object({
  model: modelName,
  version: z.int(),
  algorithm: z.enum(algorithms as [Algorithm, ...Algorithm[]]),
  /**
   * As before: the validation metrics when rows were held out, else the published model's metrics
   * on the rows it was fitted on; plus `loss` (and `val_loss` when rows were held out).
   */
  metrics: z.record(z.string(), z.number()),
  /** The model fitted on the training split, measured on the held-out rows; absent when nothing was held out. */
  validation: rowMetrics.optional(),
  /** The published model, measured on the rows it was fitted on (every row after a refit); absent for versions made before it was recorded. */
  training: rowMetrics.extend({ refit: z.boolean() }).optional(),
  warnings: z.array(z.string()).optional(),
  /** Worker time spent fitting (data loading, upload and registry left out). */
  fit_ms: z.number(),
  duration_ms: z.number(),
});
export type TrainResult = z.output<typeof trainResult>;

/** Where a resumed training went on from: after this epoch of this phase. */
export const resumePoint = z.object({ phase: z.enum(['fit', 'refit']), epoch: z.int() });
export type ResumePoint = z.output<typeof resumePoint>;

export const trainProgress = z.object({
  percent: z.number(),
  /** The step within the phase, and the most steps it may take. */
  epoch: z.int(),
  epochs: z.int(),
  loss: z.number(),
  /** The loss on the held-out rows after this step; absent in a refit and when nothing is held out. */
  val_loss: z.number().optional(),
  /** fit: on the training split (or every row when nothing is held out); refit: again, on every row. */
  phase: z.enum(['fit', 'refit']),
  /** This attempt went on from a checkpoint (of an attempt whose worker died) instead of epoch 1. */
  resumed_from: resumePoint.optional(),
});
export type TrainProgress = z.output<typeof trainProgress>;
