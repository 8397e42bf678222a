import { datasetKeys } from '@trainyard/shared/datasets';
import type { EmbedRequest } from '@trainyard/shared/jobs';
import { assertEmbeds, type ModelRegistry } from '@trainyard/shared/models';
import { NotFoundError } from '@trainyard/shared/platform';
import type { ObjectStore } from '@trainyard/shared/storage';
import type { Principal } from '../auth/principal.js';
import { enqueueTask, type SubmitDeps, type SubmittedTask } from '../tasks/submit-task.js';
import { resolveModel } from './resolve-model.js';

export interface EmbedDatasetDeps extends SubmitDeps {
  registry: ModelRegistry;
  store: ObjectStore;
}

/**
 * Queues a background predict task that embeds every text of a stored dataset into the embedding
 * cache. The texts come from the column the text model was trained on.
 */
export async function submitEmbedDataset(
  deps: EmbedDatasetDeps,
  caller: Principal,
  request: Omit<EmbedRequest, 'inputs'> & { dataset: string },
): Promise<SubmittedTask> {
  const { tenant } = caller;
  const model = await resolveModel(deps.registry.forTenant(tenant), request.model, request.version);
  assertEmbeds(model, 'model');
  if (!(await deps.store.head(datasetKeys(tenant, request.dataset).csv))) throw new NotFoundError(`no dataset named "${request.dataset}"`);
  const data = {
    model: model.model,
    version: model.version,
    inputs: [],
    output: 'embedding' as const,
    embed_dataset: { name: request.dataset, text: model.feature_names[0]! },
  };
  // A second request of the tenant for the same precompute while one runs shares it.
  const deduplication = { id: `embed-dataset:${tenant}:${model.model}@${model.version}:${request.dataset}` };
  return enqueueTask(deps, 'predict', caller, data, request, { deduplication });
}
