import { z } from 'zod';
import { notifyRequest } from '../notify/request.js';
import { tenantName } from '../platform/tenants.js';
import { aliasName, columnName, datasetName, modelName } from '../platform/names.js';
import { featureRow, jobDeadline, priority, requestedDeadline, text, retryOf } from './fields.js';

/**
 * Feature values keyed by feature name, checked as the object's own keys: zod's record would drop a
 * feature named "__proto__" (it assigns through a plain object), which is a column name like any other.
 */
const featureRecord = z.custom<Record<string, number>>(
  (value) =>
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.entries(value).every(([name, number]) => columnName.safeParse(name).success && typeof number === 'number' && Number.isFinite(number)),
  'an object of feature names to numbers',
);

/** Tabular models take rows (in feature order or keyed by feature name), text models take texts. */
export const predictInput = z.union([featureRow, featureRecord, text]);
/** Text models can answer with the pooled text embedding instead of a class. */
const predictOutput = z.enum(['prediction', 'embedding']).default('prediction');

/** POST /v1/predict */
export const predictRequest = z.strictObject({
  model: modelName,
  /** A version number, an alias (production) or latest; latest when left out. */
  version: z.union([z.int().min(1), aliasName]).optional(),
  inputs: z.array(predictInput).min(1).max(10_000),
  output: predictOutput,
  /** With an alias that splits traffic: requests with the same key go to the same version while the split is unchanged. */
  routing_key: z.string().min(1).max(256).optional(),
  /**
   * false: skip the prediction cache and run the model (the fresh answer still refreshes the cache).
   * {semantic: true}: text models may also answer from a cached text at least `threshold` similar.
   */
  cache: z.union([z.boolean(), z.strictObject({ semantic: z.literal(true), threshold: z.number().min(0).max(1).optional() })]).optional(),
  priority: priority.optional(),
  notify: notifyRequest.optional(),
  ...requestedDeadline,
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
/** What a predict job carries: the version is resolved and inputs are rows in feature order, or texts. */
export const predictJobData = z.object({
  /** Whose task it is; absent on jobs queued before tenants existed, which belong to `default`. */
  tenant: tenantName.optional(),
  model: modelName,
  version: z.int().min(1),
  inputs: z.union([z.array(featureRow), z.array(text)]),
  output: predictOutput,
  notify: notifyRequest.optional(),
  /** Set when the request opted into the semantic cache: the least cosine similarity that counts as a hit. */
  semantic_threshold: z.number().min(0).max(1).optional(),
  /** Set (with no inputs) to embed every text of this stored dataset into the embedding cache. */
  embed_dataset: z.strictObject({ name: datasetName, text: columnName }).optional(),
  /**
   * Set when an alias with a split or a shadow routed the request: the worker records the alias's
   * stats. `shadow_of` marks a shadow copy: the version that answered the client, to compare with.
   */
  rollout: z.strictObject({ alias: aliasName, shadow_of: z.int().min(1).optional() }).optional(),
  retry_of: retryOf,
  deadline: jobDeadline,
});
export type PredictJobData = z.output<typeof predictJobData>;

const classified = z.object({ label: z.union([z.string(), z.number()]), probabilities: z.record(z.string(), z.number()) });
/** One row's answer: a classifier's label with each class's probability, or a regressor's value. */
export const prediction = z.union([classified, z.object({ value: z.number() })]);
export type Prediction = z.output<typeof prediction>;

/** A text's answer borrowed from the semantic cache: the cached text it matched, and how closely. */
const semanticPrediction = classified.extend({ cached: z.literal('semantic'), similarity: z.number(), matched_input: z.string() });

const answeredBy = { model: modelName, version: z.int() };
/** true: every row came from the prediction cache (the task never queued); "semantic": every text borrowed a similar text's answer. */
const cachedAnswer = z.union([z.literal(true), z.literal('semantic')]).optional();

/** A predict task's result: one prediction (or embedding) per input, in input order. */
export const predictResult = z.union([
  z.object({ ...answeredBy, cached: cachedAnswer, predictions: z.array(z.union([semanticPrediction, prediction])) }),
  z.object({ ...answeredBy, cached: z.literal(true).optional(), embeddings: z.array(z.array(z.number())) }),
]);
export type PredictResult = z.output<typeof predictResult>;

/** An embed_dataset task's result (POST /v1/embed with a dataset). */
export const embedDatasetResult = z.object({
  ...answeredBy,
  dataset: datasetName,
  /** Distinct texts in the dataset. */
  texts: z.int(),
  /** Texts embedded now; the others were cached already. */
  embedded: z.int(),
});
export type EmbedDatasetResult = z.output<typeof embedDatasetResult>;
