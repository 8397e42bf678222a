import { z } from 'zod';
import { aliasName, columnName, datasetName, modelName } from './names.js';
import { notifyRequest } from './notify.js';

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

const featureRow = z.array(z.number()).min(1).max(1_024);
const label = z.union([z.string().min(1).max(256), z.number()]);

export const inlineDataset = z
  .strictObject({
    features: z.array(featureRow).min(2).max(100_000),
    labels: z.array(label).min(2).max(100_000),
  })
  .superRefine((data, ctx) => {
    if (data.labels.length !== data.features.length) {
      ctx.addIssue({ code: 'custom', path: ['labels'], message: `has ${data.labels.length} labels for ${data.features.length} feature rows` });
    }
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

const text = z.string().max(10_000);

export const inlineTextDataset = z
  .strictObject({
    texts: z.array(text).min(2).max(100_000),
    labels: z.array(label).min(2).max(100_000),
  })
  .superRefine((data, ctx) => {
    if (data.labels.length !== data.texts.length) {
      ctx.addIssue({ code: 'custom', path: ['labels'], message: `has ${data.labels.length} labels for ${data.texts.length} texts` });
    }
  });

/** Text models read one text column (or inline texts) and a target. */
export const textDatasetRef = z.union([
  z.strictObject({ name: datasetName, text: columnName, target: columnName }),
  z.strictObject({ inline: inlineTextDataset }),
]);
export type TextDatasetRef = z.output<typeof textDatasetRef>;

export function isTextDatasetRef(ref: DatasetRef | TextDatasetRef): ref is TextDatasetRef {
  return 'text' in ref || ('inline' in ref && 'texts' in ref.inline);
}

/** 1 is the most urgent, as in BullMQ. */
export const priority = z.int().min(1).max(100);
/** Seconds; the API caps them with the queue's configured maxima (deadlines.ts). */
const deadlineFields = { timeout_s: z.int().min(1).optional(), expires_s: z.int().min(1).optional() };

const trainVariant = <A extends Algorithm, D extends z.ZodType>(algorithm: A, dataset: D) =>
  z.strictObject({
    model: modelName,
    algorithm: z.literal(algorithm),
    dataset,
    // Cast: TypeScript cannot call .default on the union of every algorithm's schema.
    params: (algorithmParams[algorithm] as z.ZodType<AlgorithmParams<Algorithm>>).default(() => algorithmParams[algorithm].parse({}) as never),
    priority: priority.optional(),
    notify: notifyRequest.optional(),
    ...deadlineFields,
  });

/** POST /v1/train */
export const trainRequest = z.discriminatedUnion('algorithm', [
  trainVariant('linear-regression', datasetRef),
  trainVariant('logistic-regression', datasetRef),
  trainVariant('mlp', datasetRef),
  trainVariant('text-classifier', textDatasetRef),
]);
export type TrainRequest = z.output<typeof trainRequest>;

/** Tabular models take rows (in feature order or keyed by feature name), text models take texts. */
const input = z.union([featureRow, z.record(columnName, z.number()), text]);
/** Text models can answer with the pooled text embedding instead of a class. */
const predictOutput = z.enum(['prediction', 'embedding']).default('prediction');

/** POST /v1/predict */
export const predictRequest = z.strictObject({
  model: modelName,
  /** A version number, an alias (production) or latest; latest when left out. */
  version: z.union([z.int().min(1), aliasName]).optional(),
  inputs: z.array(input).min(1).max(10_000),
  output: predictOutput,
  /**
   * false: skip the prediction cache and run the model (the fresh answer still refreshes the cache).
   * {semantic: true}: text models may also answer from a cached text at least `threshold` similar.
   */
  cache: z.union([z.boolean(), z.strictObject({ semantic: z.literal(true), threshold: z.number().min(0).max(1).optional() })]).optional(),
  priority: priority.optional(),
  notify: notifyRequest.optional(),
  ...deadlineFields,
});
export type PredictRequest = z.output<typeof predictRequest>;

/**
 * POST /v1/embed: a text model's pooled embeddings of `inputs`, cached per (model version, text);
 * or, with `dataset`, a background task that fills that cache with every text of a stored dataset.
 */
export const embedRequest = z
  .strictObject({
    model: modelName,
    version: predictRequest.shape.version,
    inputs: z.array(text).min(1).max(10_000).optional(),
    dataset: datasetName.optional(),
    /** false: skip the embedding cache and run the model. */
    cache: z.boolean().optional(),
    priority: priority.optional(),
  })
  .refine((request) => !request.inputs !== !request.dataset, { path: ['inputs'], message: 'give either inputs or dataset' });
export type EmbedRequest = z.output<typeof embedRequest>;

/** What a train job carries: the request as validated, minus what only the queue needs. */
export const trainJobData = z.object({
  model: modelName,
  algorithm: z.enum(algorithms as [Algorithm, ...Algorithm[]]),
  dataset: z.union([datasetRef, textDatasetRef]),
  params: z.record(z.string(), z.unknown()),
  notify: notifyRequest.optional(),
});
export type TrainJobData = z.output<typeof trainJobData>;

/** What a predict job carries: the version is resolved and inputs are rows in feature order, or texts. */
export const predictJobData = z.object({
  model: modelName,
  version: z.int().min(1),
  inputs: z.union([z.array(featureRow), z.array(text)]),
  output: predictOutput,
  notify: notifyRequest.optional(),
  /** Set when the request opted into the semantic cache: the least cosine similarity that counts as a hit. */
  semantic_threshold: z.number().min(0).max(1).optional(),
  /** Set (with no inputs) to embed every text of this stored dataset into the embedding cache. */
  embed_dataset: z.strictObject({ name: datasetName, text: columnName }).optional(),
});
export type PredictJobData = z.output<typeof predictJobData>;

export interface TrainResult {
  model: string;
  version: number;
  algorithm: Algorithm;
  metrics: Record<string, number>;
  duration_ms: number;
}

export type Prediction = { label: string | number; probabilities: Record<string, number> } | { value: number };

export type PredictResult = { model: string; version: number } & ({ predictions: Prediction[] } | { embeddings: number[][] });

export interface TrainProgress {
  percent: number;
  epoch: number;
  epochs: number;
  loss: number;
}
