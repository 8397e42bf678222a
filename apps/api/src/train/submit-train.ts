import type { DatasetCatalog } from '@trainyard/shared/datasets';
import type { TrainRequest } from '@trainyard/shared/jobs';
import { NotFoundError } from '@trainyard/shared/platform';
import type { Principal } from '../auth/principal.js';
import { checkTrainingCost, inlineShape, type TrainingCaps, type TrainingShape } from '../limits/training-caps.js';
import { checkNotify, enqueueTask, type SubmitDeps, type SubmittedTask } from '../tasks/submit-task.js';

export interface TrainSubmitDeps extends SubmitDeps {
  datasets: DatasetCatalog;
  trainingCaps: TrainingCaps;
}

/** POST /v1/train: a training of one of the tenant's datasets (or inline data), queued once it is known to exist and to be within the caps. */
export async function submitTrain(deps: TrainSubmitDeps, caller: Principal, request: TrainRequest): Promise<SubmittedTask> {
  await checkNotify(deps, request.notify);
  checkTrainingCost(deps.trainingCaps, request, inlineShape(request) ?? (await storedShape(deps, caller.tenant, request)));
  const { model, algorithm, dataset, params, notify } = request;
  return enqueueTask(deps, 'train', caller, { model, algorithm, dataset, params, ...(notify ? { notify } : {}) }, request);
}

/** A named dataset's rows and feature columns, from its stored metadata; 404 when the tenant has no such dataset. */
async function storedShape(deps: TrainSubmitDeps, tenant: string, request: TrainRequest): Promise<TrainingShape> {
  const name = 'name' in request.dataset ? request.dataset.name : '';
  const dataset = await deps.datasets.forTenant(tenant).get(name);
  if (!dataset) throw new NotFoundError(`no dataset named "${name}"`);
  // A text model reads one column of the dataset; a tabular one every column but the target.
  return { rows: dataset.rows, features: request.algorithm === 'text-classifier' ? 1 : Math.max(1, dataset.columns.length - 1) };
}
