import type { Job } from 'bullmq';
import type { ParsedJob, TrainResult } from '@trainyard/shared/jobs';
import type { ModelRegistry } from '@trainyard/shared/models';
import type { Logger } from '@trainyard/shared/platform';
import { storageKeys, type ObjectStore } from '@trainyard/shared/storage';
import type { TaskEventLog } from '@trainyard/shared/tasks';
import type { Attempt } from '../tasks/attempt.js';
import { progressReporter } from '../tasks/progress.js';
import type { TrainingPool } from './training-pool.js';

export interface TrainDeps {
  pool: TrainingPool;
  registry: ModelRegistry;
  store: ObjectStore;
  events: TaskEventLog;
  log: Logger;
}

export function createTrainProcessor(deps: TrainDeps) {
  return async ({ data }: ParsedJob<'train'>, { signal }: Attempt, job: Job): Promise<TrainResult> => {
    const taskId = job.id!;
    const startedAt = Date.now();
    const reportProgress = progressReporter(job, deps.events, deps.log);

    const trained = await deps.pool.train(data, (message) => {
      if (message.type === 'progress') reportProgress(message.progress);
      else void job.log(message.line).catch(() => {});
    }, signal);
    await reportProgress.flush();
    signal.throwIfAborted();

    // The artifact first, the registry entry last: a version is visible only once complete.
    const version = await deps.registry.versionFor(data.model, taskId);
    const files = ['model.json', 'weights.bin'] as const;
    await Promise.all(files.map((file) => deps.store.put(storageKeys.modelFile(data.model, version, file), trained.files[file])));
    if (signal.aborted) {
      // Stopped while uploading: no artifact of an unpublished version stays behind.
      await Promise.all(files.map((file) => deps.store.delete(storageKeys.modelFile(data.model, version, file))));
      signal.throwIfAborted();
    }
    await deps.registry.publish({
      model: data.model,
      version,
      algorithm: data.algorithm,
      params: data.params,
      task: trained.task,
      input: trained.input,
      feature_names: trained.featureNames,
      ...(trained.classes ? { classes: trained.classes } : {}),
      metrics: trained.metrics,
      size_bytes: trained.sizeBytes,
      training_task_id: taskId,
      created_at: new Date().toISOString(),
    });
    return { model: data.model, version, algorithm: data.algorithm, metrics: trained.metrics, duration_ms: Date.now() - startedAt };
  };
}
