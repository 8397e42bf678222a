import { isValidName } from '../platform/names.js';

function name(value: string, what: string): string {
  if (!isValidName(value)) throw new Error(`invalid ${what} name: ${JSON.stringify(value)}`);
  return value;
}

function version(value: number): string {
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`invalid model version: ${value}`);
  return String(value);
}

function chunkIndex(value: number): string {
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`invalid chunk index: ${value}`);
  return String(value);
}

/** The one place object keys are built, only from validated names. */
export const storageKeys = {
  modelsRoot: 'models/',
  modelPrefix: (model: string) => `models/${name(model, 'model')}/`,
  modelVersionPrefix: (model: string, v: number) => `models/${name(model, 'model')}/${version(v)}/`,
  /** deleted.json is a deleted version's tombstone: it keeps the number from ever being handed out again. */
  modelFile: (model: string, v: number, file: 'model.json' | 'weights.bin' | 'metadata.json' | 'deleted.json') =>
    `models/${name(model, 'model')}/${version(v)}/${file}`,
  modelAliases: (model: string) => `models/${name(model, 'model')}/aliases.json`,
  datasetsRoot: 'datasets/',
  dataset: (dataset: string) => `datasets/${name(dataset, 'dataset')}.csv`,
  /** Rows, columns, size and upload time of the CSV beside it. */
  datasetMeta: (dataset: string) => `datasets/${name(dataset, 'dataset')}.json`,
  /** Everything of one batch prediction task. */
  batchPrefix: (taskId: string) => `batches/${name(taskId, 'task')}/`,
  /** A batch's inline rows, as a CSV with the model's feature names as header. */
  batchInput: (taskId: string) => `batches/${name(taskId, 'task')}/input.csv`,
  /** One chunk's scored lines or refused rows, until the batch assembles them. */
  batchChunk: (taskId: string, index: number, part: 'output' | 'errors') => `batches/${name(taskId, 'task')}/chunks/${chunkIndex(index)}.${part}`,
  batchOutput: (taskId: string, format: 'csv' | 'jsonl') => `batches/${name(taskId, 'task')}/output.${format}`,
  batchErrors: (taskId: string, format: 'csv' | 'jsonl') => `batches/${name(taskId, 'task')}/errors.${format}`,
};
