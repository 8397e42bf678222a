import type { JobsOptions } from 'bullmq';
import { resolveDeadline, type DeadlineLimits, type RequestedDeadline } from '@trainyard/shared/deadlines';
import { InvalidRequestError, NotFoundError } from '@trainyard/shared/errors';
import type { PredictJobData, PredictRequest, TrainJobData, TrainRequest } from '@trainyard/shared/jobs';
import type { ModelRegistry, ModelVersion } from '@trainyard/shared/model-registry';
import { assertDeliverableWebhook, type NotifyRequest } from '@trainyard/shared/notify';
import type { ObjectStore } from '@trainyard/shared/storage';
import { storageKeys } from '@trainyard/shared/storage/keys';
import { newTaskId, type TaskType } from '@trainyard/shared/tasks';
import { answerFromCache, predictCachePlan, type CachedPredictTask, type PredictCacheDeps } from '../cache/cached-prediction.js';
import type { TaskQueues } from './task-queues.js';

export interface SubmittedTask {
  task_id: string;
  type: TaskType;
  status: 'PENDING';
  created_at: string;
  links: { self: string };
}

export interface SubmitDeps extends PredictCacheDeps {
  queues: TaskQueues;
  registry: ModelRegistry;
  store: ObjectStore;
  /** WEBHOOK_ALLOW_HOSTS: webhook hosts exempt from the internal-address check. */
  webhookAllowHosts: readonly string[];
  deadlines: DeadlineLimits;
}

/** A webhook that would reach the platform's own network is refused before the task is queued. */
async function checkNotify(deps: SubmitDeps, notify: NotifyRequest | undefined): Promise<void> {
  if (notify?.webhook) await assertDeliverableWebhook(notify.webhook, deps.webhookAllowHosts);
}

/** Job data carries the task's deadlines, fixed now from the request and the queue's limits. */
export async function enqueue(
  deps: SubmitDeps,
  type: TaskType,
  data: object,
  request: RequestedDeadline & { priority?: number },
  extraOptions: JobsOptions = {},
): Promise<SubmittedTask> {
  const resolved = resolveDeadline(deps.deadlines[type], request, Date.now());
  if ('issue' in resolved) {
    const { path, message } = resolved.issue;
    throw new InvalidRequestError(`${path}: ${message}`, [{ path, message }]);
  }
  const taskId = newTaskId(type);
  const options: JobsOptions = { jobId: taskId, ...(request.priority ? { priority: request.priority } : {}), ...extraOptions };
  const job = await deps.queues[type].add(`model.${type}`, { ...data, deadline: resolved.deadline }, options);
  // A deduplicated add answers with the job already in flight.
  const id = job.id ?? taskId;
  return {
    task_id: id,
    type,
    status: 'PENDING',
    created_at: new Date(job.timestamp).toISOString(),
    links: { self: `/v1/tasks/${id}` },
  };
}

export async function submitTrain(deps: SubmitDeps, request: TrainRequest): Promise<SubmittedTask> {
  await checkNotify(deps, request.notify);
  if ('name' in request.dataset && !(await deps.store.head(storageKeys.dataset(request.dataset.name)))) {
    throw new NotFoundError(`no dataset named "${request.dataset.name}"`);
  }
  const data: TrainJobData = {
    model: request.model,
    algorithm: request.algorithm,
    dataset: request.dataset,
    params: request.params,
    ...(request.notify ? { notify: request.notify } : {}),
  };
  return enqueue(deps, 'train', data, request);
}

export async function submitPredict(deps: SubmitDeps, request: PredictRequest): Promise<SubmittedTask | CachedPredictTask> {
  await checkNotify(deps, request.notify);
  const model = await deps.registry.resolve(request.model, request.version);
  if (!model) {
    const which = request.version === undefined ? '' : ` version ${request.version}`;
    throw new NotFoundError(`no model "${request.model}"${which}; train it first`);
  }
  const data: PredictJobData = {
    model: model.model,
    version: model.version,
    inputs: modelInputs(request, model),
    output: request.output,
    ...(request.notify ? { notify: request.notify } : {}),
  };
  const plan = predictCachePlan(deps, request, data, model.input === 'text');
  if (!plan) return enqueue(deps, 'predict', data, request);
  const cached = await answerFromCache(deps, plan);
  if (cached) return cached;
  return enqueue(deps, 'predict', { ...data, ...plan.jobData }, request, { deduplication: { id: plan.deduplicationId } });
}

/** Text models take texts and can return embeddings; tabular models take feature rows. */
function modelInputs(request: PredictRequest, model: ModelVersion): number[][] | string[] {
  const kindMismatch = (index: number, message: string) => new InvalidRequestError(`inputs.${index}: ${message}`, [{ path: `inputs.${index}`, message }]);
  if (model.input === 'text') {
    return request.inputs.map((input, index) => {
      if (typeof input !== 'string') throw kindMismatch(index, `model "${model.model}" classifies texts; send a string`);
      return input;
    });
  }
  if (request.output === 'embedding') {
    throw new InvalidRequestError(`model "${model.model}" is not a text model; only text models return embeddings`, [
      { path: 'output', message: 'embeddings come from text models only' },
    ]);
  }
  return request.inputs.map((row, index) => {
    if (typeof row === 'string') throw kindMismatch(index, `model "${model.model}" takes feature rows (${model.feature_names.join(', ')}), not texts`);
    return toFeatureRow(row, index, model);
  });
}

/** Inputs come as arrays in feature order or as records keyed by the model's feature names. */
function toFeatureRow(row: number[] | Record<string, number>, index: number, model: ModelVersion): number[] {
  const names = model.feature_names;
  if (Array.isArray(row)) {
    if (row.length !== names.length) {
      throw new InvalidRequestError(`inputs.${index}: has ${row.length} values, the model takes ${names.length}`, [
        { path: `inputs.${index}`, message: `expected ${names.length} values (${names.join(', ')})` },
      ]);
    }
    return row;
  }
  const missing = names.filter((name) => !(name in row));
  const unknown = Object.keys(row).filter((key) => !names.includes(key));
  if (missing.length || unknown.length) {
    const problems = [missing.length ? `missing ${missing.join(', ')}` : '', unknown.length ? `unknown ${unknown.join(', ')}` : '']
      .filter(Boolean)
      .join('; ');
    throw new InvalidRequestError(`inputs.${index}: ${problems}`, [{ path: `inputs.${index}`, message: `expected keys ${names.join(', ')}` }]);
  }
  return names.map((name) => row[name]!);
}
