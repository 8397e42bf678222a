import { z } from 'zod';
import { tenantName } from '../platform/tenants.js';
import { notifyRequest } from '../notify/request.js';
import { aliasName, datasetName, modelName } from '../platform/names.js';
import { jobDeadline, priority, requestedDeadline, retryOf } from './fields.js';
import { predictInput } from './predict.js';

export const batchOutputFormats = ['csv', 'jsonl'] as const;
export type BatchOutputFormat = (typeof batchOutputFormats)[number];
const outputFormat = z.enum(batchOutputFormats);

/** Inline rows of a batch request; more belong in a stored dataset (PUT /v1/datasets/{name}). */
const maxInlineRows = 100_000;

/** POST /v1/batch-predictions: every row of a stored dataset, or of the request, scored offline. */
export const batchPredictRequest = z
  .strictObject({
    model: modelName,
    /** A version number, an alias or latest; latest when neither this nor `alias` is given. */
    version: z.union([z.int().min(1), aliasName]).optional(),
    alias: aliasName.optional(),
    /** A stored dataset's name, or rows as /v1/predict takes them. */
    dataset: z.union([datasetName, z.strictObject({ inline: z.array(predictInput).min(1).max(maxInlineRows) })]),
    output: outputFormat.default('csv'),
    priority: priority.optional(),
    notify: notifyRequest.optional(),
    ...requestedDeadline,
  })
  .refine((request) => request.version === undefined || request.alias === undefined, { path: ['alias'], message: 'give version or alias, not both' });
export type BatchPredictRequest = z.output<typeof batchPredictRequest>;

/** Where a batch's rows are: a stored dataset, or the request's own rows, stored by the API beside the batch. */
export const batchInput = z.union([z.strictObject({ dataset: datasetName }), z.strictObject({ inline: z.literal(true) })]);
export type BatchInput = z.output<typeof batchInput>;

/** What a batch job carries: the version resolved, the rows by reference (never in the job). */
export const batchJobData = z.object({
  /** Whose task it is: the models, datasets and files it reads and writes are that tenant's. */
  tenant: tenantName.optional(),
  model: modelName,
  version: z.int().min(1),
  input: batchInput,
  output: outputFormat,
  notify: notifyRequest.optional(),
  retry_of: retryOf,
  deadline: jobDeadline,
});
export type BatchJobData = z.output<typeof batchJobData>;

/** One chunk of a batch: whole CSV records, scored by whichever worker takes it. */
export const batchChunkJobData = z.object({
  task_id: z.string().regex(/^batch-[0-9a-f]{32}$/),
  /** The batch's tenant. */
  tenant: tenantName.optional(),
  index: z.int().min(0),
  model: modelName,
  version: z.int().min(1),
  input: batchInput,
  /** Bytes [start, end) of the input CSV. */
  bytes: z.tuple([z.int().min(0), z.int().min(0)]),
  /** The input as it was split (its size and time of writing): a chunk refuses an input that changed since. */
  input_stamp: z.string(),
  /** Row number of the chunk's first record; the input's first row after its header is row 1. */
  first_row: z.int().min(1),
  /** The input's header. */
  columns: z.array(z.string()),
  output: outputFormat,
});
export type BatchChunkJobData = z.output<typeof batchChunkJobData>;

/** A batch's progress: rows scored (or refused) so far out of all. */
export const batchProgress = z.object({ percent: z.number(), rows_done: z.int(), rows_total: z.int() });
export type BatchProgress = z.output<typeof batchProgress>;

/** Where a batch's output (or error file) is, in storage and over HTTP. */
const batchFile = z.object({ key: z.string(), format: outputFormat, url: z.string() });
export type BatchFile = z.output<typeof batchFile>;

/** A batch prediction's result: its output and error files, and how many rows went where. */
export const batchPredictResult = z.object({
  model: modelName,
  version: z.int(),
  /** One line per scored row, in input order, each with its row number. */
  output: batchFile,
  /** One line per row that could not be scored: its row number and why. */
  errors: batchFile,
  request_counts: z.object({ total: z.int(), completed: z.int(), failed: z.int() }),
  duration_ms: z.number(),
});
export type BatchPredictResult = z.output<typeof batchPredictResult>;
