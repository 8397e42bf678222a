import type { Job } from 'bullmq';
import type { ParsedJob, ResumePoint, TrainResult } from '@trainyard/shared/jobs';
import type { ModelRegistry, ModelVersion } from '@trainyard/shared/models';
import { tenantOf, type Logger } from '@trainyard/shared/platform';
import { taskTagOf, type TaskEventLog } from '@trainyard/shared/tasks';
import type { Attempt } from '../tasks/attempt.js';
import { workerName } from '../tasks/identity.js';
import { progressReporter } from '../tasks/progress.js';
import type { TrainingPool } from './training-pool.js';

export interface TrainDeps {
  pool: TrainingPool;
  registry: ModelRegistry;
  events: TaskEventLog;
  log: Logger;
  /** Told of every epoch run (the metrics). */
  epochsRun?: (algorithm: string, count: number) => void;
}

/**
 * Trains in a pool thread and publishes the model in the tenant's registry. A rerun of a training
 * that finished already (a retry from Bull Board, a stalled task run again) answers with the
 * version it made: published weights never change.
 */
export function createTrainProcessor(deps: TrainDeps) {
  return async ({ data }: ParsedJob<'train'>, { signal }: Attempt, job: Job): Promise<TrainResult> => {
    const taskId = job.id!;
    const log = deps.log.child({ task_id: taskId });
    const startedAt = Date.now();
    const registry = deps.registry.forTenant(tenantOf(data));
    const earlier = await registry.finishedVersionOf(data.model, taskId);
    if (earlier) return resultOf(earlier, startedAt);
    const reportProgress = progressReporter(job, deps.events, log);

    // Epochs are counted as progress comes (they count from 1 again in each phase: fit, then refit
    // on every row), and made up at the end from the loss curve, which has every step; those run
    // before a resume were counted by the attempt that ran them.
    let seen = { phase: '', epoch: 0 };
    let counted = 0;
    let resumedFrom: ResumePoint | undefined;
    const countEpochs = (epochs: number) => {
      deps.epochsRun?.(data.algorithm, epochs);
      counted += epochs;
    };
    const trained = await deps.pool.train(taskId, data, (message) => {
      if (message.type === 'progress') {
        const { phase, epoch } = message.progress;
        countEpochs(phase === seen.phase ? epoch - seen.epoch : epoch);
        seen = { phase, epoch };
        reportProgress(message.progress);
      } else if (message.type === 'resume') {
        resumedFrom = message.from;
        seen = { ...message.from };
        const resumed = { type: 'resume', attempt: job.attemptsStarted, at: new Date().toISOString(), worker: workerName, resumed_from: message.from } as const;
        void deps.events.append(taskId, resumed, taskTagOf(taskId, data)).catch((error: unknown) => log.warn({ err: error }, 'resume not recorded'));
      } else void job.log(message.line).catch(() => {});
    }, signal);
    await reportProgress.flush();
    signal.throwIfAborted();
    const { loss, refit_loss: refitLoss = [] } = trained.lossCurve;
    const runBefore = !resumedFrom ? 0 : resumedFrom.phase === 'fit' ? resumedFrom.epoch : loss.length + resumedFrom.epoch;
    countEpochs(Math.max(0, loss.length + refitLoss.length - runBefore - counted));

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
        ...(trained.validation && { validation: trained.validation }),
        training: trained.training,
        loss_curve: trained.lossCurve,
        data_hash: trained.dataHash,
        ...(trained.warnings.length && { warnings: trained.warnings }),
        size_bytes: trained.sizeBytes,
        training_task_id: taskId,
        created_at: new Date().toISOString(),
      },
      trained.files,
      signal,
    );
    return resultOf(published, startedAt, trained.fitMs);
  };
}

/** A training's result from the version it published; `fitMs` 0 when this run answered with an earlier run's version. */
function resultOf(version: ModelVersion, startedAt: number, fitMs = 0): TrainResult {
  const { model, algorithm, metrics, validation, training, warnings } = version;
  return {
    model,
    version: version.version,
    algorithm,
    metrics,
    ...(validation && { validation }),
    ...(training && { training }),
    ...(warnings?.length && { warnings }),
    fit_ms: fitMs,
    duration_ms: Date.now() - startedAt,
  };
}
