import type { TrainRequest } from '@trainyard/shared/jobs';
import { NotFoundError } from '@trainyard/shared/platform';
import { storageKeys, type ObjectStore } from '@trainyard/shared/storage';
import { checkNotify, enqueueTask, type SubmitDeps, type SubmittedTask } from '../tasks/submit-task.js';

export interface TrainSubmitDeps extends SubmitDeps {
  store: ObjectStore;
}

/** POST /v1/train: a training of a named or inline dataset, queued once the dataset is known to exist. */
export async function submitTrain(deps: TrainSubmitDeps, request: TrainRequest): Promise<SubmittedTask> {
  await checkNotify(deps, request.notify);
  if ('name' in request.dataset && !(await deps.store.head(storageKeys.dataset(request.dataset.name)))) {
    throw new NotFoundError(`no dataset named "${request.dataset.name}"`);
  }
  const { model, algorithm, dataset, params, notify } = request;
  return enqueueTask(deps, 'train', { model, algorithm, dataset, params, ...(notify ? { notify } : {}) }, request);
}
