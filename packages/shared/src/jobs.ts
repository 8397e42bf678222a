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

/** 1 is the most urgent, as in BullMQ. */
export const priority = z.int().min(1).max(100);

const trainVariant = <A extends Algorithm>(algorithm: A) =>
  z.strictObject({
    model: modelName,
    algorithm: z.literal(algorithm),
    dataset: datasetRef,
    params: algorithmParams[algorithm].default(() => algorithmParams[algorithm].parse({}) as never),
    priority: priority.optional(),
    notify: notifyRequest.optional(),
  });

/** POST /v1/train */
export const trainRequest = z.discriminatedUnion('algorithm', [
  trainVariant('linear-regression'),
  trainVariant('logistic-regression'),
  trainVariant('mlp'),
]);
export type TrainRequest = z.output<typeof trainRequest>;

const inputRow = z.union([featureRow, z.record(columnName, z.number())]);

/** POST /v1/predict */
export const predictRequest = z.strictObject({
  model: modelName,
  /** A version number, an alias (production) or latest; latest when left out. */
  version: z.union([z.int().min(1), aliasName]).optional(),
  inputs: z.array(inputRow).min(1).max(10_000),
  priority: priority.optional(),
  notify: notifyRequest.optional(),
});
export type PredictRequest = z.output<typeof predictRequest>;

/** What a train job carries: the request as validated, minus what only the queue needs. */
export const trainJobData = z.object({
  model: modelName,
  algorithm: z.enum(algorithms as [Algorithm, ...Algorithm[]]),
  dataset: datasetRef,
  params: z.record(z.string(), z.unknown()),
  notify: notifyRequest.optional(),
});
export type TrainJobData = z.output<typeof trainJobData>;

/** What a predict job carries: the version is resolved and inputs are rows in feature order. */
export const predictJobData = z.object({
  model: modelName,
  version: z.int().min(1),
  inputs: z.array(featureRow),
  notify: notifyRequest.optional(),
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

export interface PredictResult {
  model: string;
  version: number;
  predictions: Prediction[];
}

export interface TrainProgress {
  percent: number;
  epoch: number;
  epochs: number;
  loss: number;
}
