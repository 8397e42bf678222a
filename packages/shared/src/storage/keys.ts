import { isValidName } from '../platform/names.js';
import { defaultTenant } from '../platform/tenants.js';

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

export type ModelFile = 'model.json' | 'weights.bin' | 'metadata.json' | 'deleted.json';

/**
 * One tenant's object keys, built only from validated names. `default` keeps the layout from before
 * tenants (models/…, datasets/…), so an upgrade moves nothing; every other tenant's objects live
 * under tenants/{tenant}/.
 */
function keysOf(tenant: string) {
  const root = tenant === defaultTenant ? '' : `tenants/${name(tenant, 'tenant')}/`;
  return {
    modelsRoot: `${root}models/`,
    modelPrefix: (model: string) => `${root}models/${name(model, 'model')}/`,
    modelVersionPrefix: (model: string, v: number) => `${root}models/${name(model, 'model')}/${version(v)}/`,
    /** deleted.json is a deleted version's tombstone: it keeps the number from ever being handed out again. */
    modelFile: (model: string, v: number, file: ModelFile) => `${root}models/${name(model, 'model')}/${version(v)}/${file}`,
    modelAliases: (model: string) => `${root}models/${name(model, 'model')}/aliases.json`,
    datasetsRoot: `${root}datasets/`,
    dataset: (dataset: string) => `${root}datasets/${name(dataset, 'dataset')}.csv`,
    /** Rows, columns, size and upload time of the CSV beside it. */
    datasetMeta: (dataset: string) => `${root}datasets/${name(dataset, 'dataset')}.json`,
    /** Everything of one batch prediction task. */
    batchPrefix: (taskId: string) => `${root}batches/${name(taskId, 'task')}/`,
    /** A batch's inline rows, as a CSV with the model's feature names as header. */
    batchInput: (taskId: string) => `${root}batches/${name(taskId, 'task')}/input.csv`,
    /** One chunk's scored lines or refused rows, until the batch assembles them. */
    batchChunk: (taskId: string, index: number, part: 'output' | 'errors') => `${root}batches/${name(taskId, 'task')}/chunks/${chunkIndex(index)}.${part}`,
    batchOutput: (taskId: string, format: 'csv' | 'jsonl') => `${root}batches/${name(taskId, 'task')}/output.${format}`,
    batchErrors: (taskId: string, format: 'csv' | 'jsonl') => `${root}batches/${name(taskId, 'task')}/errors.${format}`,
    /** A running training's last checkpoint (networks only); deleted when the task ends. */
    checkpoint: (taskId: string) => `${root}checkpoints/${name(taskId, 'task')}.ckpt`,
  };
}

export type StorageKeys = ReturnType<typeof keysOf>;

const byTenant = new Map<string, StorageKeys>();

/** The one place object keys are built: a tenant's keys (tenants come from API keys, so they are few). */
export function storageKeys(tenant: string): StorageKeys {
  let keys = byTenant.get(tenant);
  if (!keys) byTenant.set(tenant, (keys = keysOf(tenant)));
  return keys;
}
