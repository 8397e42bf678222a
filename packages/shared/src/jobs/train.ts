import { z } from 'zod';
import { notifyRequest } from '../notify/request.js';
import { tenantName } from '../platform/tenants.js';
import { columnName, datasetName, modelName } from '../platform/names.js';
import { featureRow, jobDeadline, label, priority, requestedDeadline, text } from './fields.js';

const epochs = z.int().min(1).max(5_000).default(100);
const learningRate = z.number().positive().max(10).default(0.05);
const batchSize = z.int().min(1).max(8_192).default(32);
const validationSplit = z.number().min(0).max(0.5).default(0.2);
const seed = z.int().min(0).max(2 ** 31 - 1).optional();

const commonParams = {
  epochs,
  learning_rate: learningRate,
  batch_size: batchSize,
  validation_split: validationSplit,
  seed,
};

/** Hyper-parameters per algorithm; unknown keys are rejected so a typo never trains silently with a default. */
export const algorithmParams = {
  'linear-regression': z.strictObject(commonParams),
  'logistic-regression': z.strictObject(commonParams),
  mlp: z.strictObject({
    ...commonParams,
    hidden_units: z.array(z.int().min(1).max(1_024)).min(1).max(8).default([16]),
    activation: z.enum(['relu', 'tanh', 'sigmoid']).default('relu'),
  }),
  'text-classifier': z.strictObject({
    ...commonParams,
    // A few hundred texts fit within 20 epochs; more mostly memorizes the training texts.
    epochs: epochs.removeDefault().default(20),
    /** Width of the learnt word embeddings, and of the pooled embedding predict can return. */
    embedding_dim: z.int().min(1).max(256).default(16),
    /** The most frequent training words get an id; every other word shares the unknown id. */
    max_vocab: z.int().min(1).max(50_000).default(10_000),
    /** Tokens read per text; the rest is cut off. */
    max_length: z.int().min(1).max(1_000).default(32),
    /** Rarer words count as unknown, so the unknown id has an embedding learnt from real text. */
    min_count: z.int().min(1).max(1_000).default(2),
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
  deadline: jobDeadline,
});
export type TrainJobData = z.output<typeof trainJobData>;

export interface TrainResult {
  model: string;
  version: number;
  algorithm: Algorithm;
  metrics: Record<string, number>;
  duration_ms: number;
}

export interface TrainProgress {
  percent: number;
  epoch: number;
  epochs: number;
  loss: number;
}
