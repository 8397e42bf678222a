import { csvField, type DatasetCatalog } from '@trainyard/shared/datasets';
import type { BatchInput, BatchPredictRequest } from '@trainyard/shared/jobs';
import { modelInputs, type ModelRegistry, type ModelVersion } from '@trainyard/shared/models';
import { InvalidRequestError, NotFoundError } from '@trainyard/shared/platform';
import { storageKeys, type ObjectStore } from '@trainyard/shared/storage';
import { newTaskId } from '@trainyard/shared/tasks';
import type { Principal } from '../auth/principal.js';
import { resolveModel } from '../predict/resolve-model.js';
import { checkNotify, enqueueTask, type SubmitDeps, type SubmittedTask } from '../tasks/submit-task.js';

export interface BatchSubmitDeps extends SubmitDeps {
  registry: ModelRegistry;
  datasets: DatasetCatalog;
  store: ObjectStore;
}

/**
 * POST /v1/batch-predictions: resolves the version, checks that the input has what the model reads
 * (a stored dataset's columns; inline rows one by one, as /v1/predict does), stores inline rows
 * beside the batch, and queues the batch as a task.
 */
export async function submitBatch(deps: BatchSubmitDeps, caller: Principal, request: BatchPredictRequest): Promise<SubmittedTask> {
  await checkNotify(deps, request.notify);
  const { tenant } = caller;
  const model = await resolveModel(deps.registry.forTenant(tenant), request.model, request.alias ?? request.version);
  const taskId = newTaskId('batch');
  const input = await stageInput(deps, tenant, taskId, model, request.dataset);
  const data = { model: model.model, version: model.version, input, output: request.output, ...(request.notify ? { notify: request.notify } : {}) };
  try {
    return await enqueueTask(deps, 'batch', caller, data, request, { jobId: taskId });
  } catch (error) {
    if ('inline' in input) await deps.store.delete(storageKeys(tenant).batchInput(taskId)).catch(() => {});
    throw error;
  }
}

async function stageInput(deps: BatchSubmitDeps, tenant: string, taskId: string, model: ModelVersion, dataset: BatchPredictRequest['dataset']): Promise<BatchInput> {
  if (typeof dataset === 'string') {
    const stored = await deps.datasets.forTenant(tenant).get(dataset);
    if (!stored) throw new NotFoundError(`no dataset named "${dataset}"`);
    const columns = new Set(stored.columns.map((column) => column.name));
    const missing = model.feature_names.filter((name) => !columns.has(name));
    if (missing.length) {
      const message = `dataset "${dataset}" has no column ${missing.map((name) => `"${name}"`).join(', ')}, which model "${model.model}" reads`;
      throw new InvalidRequestError(`dataset: ${message}`, [{ path: 'dataset', message }]);
    }
    return { dataset };
  }
  // The rows become a CSV with the model's inputs as header, read by the worker as a stored dataset is.
  const rows = modelInputs(model, dataset.inline, 'dataset.inline');
  const lines = [model.feature_names.map(csvField).join(','), ...rows.map((row) => (typeof row === 'string' ? csvField(row) : row.join(',')))];
  await deps.store.put(storageKeys(tenant).batchInput(taskId), `${lines.join('\n')}\n`);
  return { inline: true };
}
