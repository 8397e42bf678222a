import { isCheckpointed } from '@trainyard/ml/checkpoint';
import type { TrainJobData } from '@trainyard/shared/jobs';
import { tenantOf, type Logger } from '@trainyard/shared/platform';
import { storageKeys, type ObjectStore } from '@trainyard/shared/storage';

/**
 * Deletes a training's checkpoint once the task ends, whatever its final status: published or
 * failed, nothing resumes from it any more. A failed delete leaves an orphan object, not a wrong
 * result, so it is logged and the task ends all the same.
 */
export function checkpointDiscarder(store: ObjectStore, log: Logger) {
  return async (taskId: string, job: TrainJobData): Promise<void> => {
    if (!isCheckpointed(job.algorithm)) return;
    await store.delete(storageKeys(tenantOf(job)).checkpoint(taskId)).catch((error: unknown) => log.warn({ err: error, task_id: taskId }, 'checkpoint not deleted'));
  };
}
