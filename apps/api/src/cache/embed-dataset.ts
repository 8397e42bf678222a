import { InvalidRequestError, NotFoundError } from '@trainyard/shared/errors';
import type { EmbedRequest, PredictJobData } from '@trainyard/shared/jobs';
import { storageKeys } from '@trainyard/shared/storage/keys';
import { enqueue, type SubmitDeps, type SubmittedTask } from '../tasks/submit.js';

/**
 * Queues a background predict task that embeds every text of a stored dataset into the embedding
 * cache. The texts come from the column the text model was trained on.
 */
export async function submitEmbedDataset(deps: SubmitDeps, request: Omit<EmbedRequest, 'inputs'> & { dataset: string }): Promise<SubmittedTask> {
  const model = await deps.registry.resolve(request.model, request.version);
  if (!model) throw new NotFoundError(`no model "${request.model}"${request.version === undefined ? '' : ` version ${request.version}`}`);
  if (model.input !== 'text') {
    throw new InvalidRequestError(`model "${model.model}" is not a text model; only text models return embeddings`, [
      { path: 'model', message: 'embeddings come from text models only' },
    ]);
  }
  if (!(await deps.store.head(storageKeys.dataset(request.dataset)))) throw new NotFoundError(`no dataset named "${request.dataset}"`);
  const data: PredictJobData = {
    model: model.model,
    version: model.version,
    inputs: [],
    output: 'embedding',
    embed_dataset: { name: request.dataset, text: model.feature_names[0]! },
  };
  // A second request for the same precompute while one runs shares it.
  return enqueue(deps, 'predict', data, request, { deduplication: { id: `embed-dataset:${model.model}@${model.version}:${request.dataset}` } });
}
