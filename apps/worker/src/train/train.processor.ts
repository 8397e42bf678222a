import type { Job } from 'bullmq';
import type { ParsedJob, TrainProgress, TrainResult } from '@trainyard/shared/jobs';
import type { ModelRegistry, ModelVersion } from '@trainyard/shared/models';
import { tenantOf, type Logger } from '@trainyard/shared/platform';
import type { TaskEventLog } from '@trainyard/shared/tasks';
import type { TrainingPool } from './training-pool.js';

export interface TrainDeps {
  pool: TrainingPool;
  registry: ModelRegistry;
  events: TaskEventLog;
  log: Logger;
}

/** Progress goes to Redis at most this often, however fast the epochs are. */
const progressIntervalMs = 250;

/**
 * Trains in a pool thread and publishes the model in the tenant's registry. A rerun of a training
 * that finished already (a retry from Bull Board, a stalled task run again) answers with the
 * version it made: published weights never change.
 */
export function createTrainProcessor(deps: TrainDeps) {
  return async ({ data }: ParsedJob<'train'>, signal: AbortSignal, job: Job): Promise<TrainResult> => {
    const taskId = job.id!;
    const startedAt = Date.now();
    const registry = deps.registry.forTenant(tenantOf(data));
    const earlier = await registry.finishedVersionOf(data.model, taskId);
    if (earlier) return resultOf(earlier, startedAt);
    const reportProgress = throttled(progressIntervalMs, (progress: TrainProgress) =>
      Promise.all([
        job.updateProgress(progress),
        deps.events.append(taskId, { type: 'progress', progress, at: new Date().toISOString() }),
      ]).catch((error: unknown) => deps.log.warn({ err: error, taskId }, 'progress not recorded')),
    );

    const trained = await deps.pool.train(data, (message) => {
      if (message.type === 'progress') reportProgress(message.progress);
      else void job.log(message.line).catch(() => {});
    }, signal);
    await reportProgress.flush();
    signal.throwIfAborted();

    // The artifact first, the registry entry last: a version is visible only once complete.
    const version = await registry.versionFor(data.model, taskId);
    const published = await registry.publishOnce(
      {
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
      },
      trained.files,
      signal,
    );
    return resultOf(published, startedAt);
  };
}

function resultOf(version: ModelVersion, startedAt: number): TrainResult {
  const { model, algorithm, metrics } = version;
  return { model, version: version.version, algorithm, metrics, duration_ms: Date.now() - startedAt };
}

/** Calls send with the newest value at most once per interval; flush() sends what is still held back. */
function throttled<T>(intervalMs: number, send: (value: T) => Promise<unknown>) {
  let last = 0;
  let pending: T | undefined;
  let inFlight: Promise<unknown> = Promise.resolve();
  const report = (value: T) => {
    pending = value;
    if (Date.now() - last < intervalMs) return;
    last = Date.now();
    pending = undefined;
    inFlight = send(value);
  };
  report.flush = async () => {
    await inFlight;
    if (pending !== undefined) await send(pending);
  };
  return report;
}
