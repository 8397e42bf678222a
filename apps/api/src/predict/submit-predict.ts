import type { AnswerOrAdmit, JobInput, PredictRequest } from '@trainyard/shared/jobs';
import { taskShardOf } from '@trainyard/shared/tasks';
import { assertEmbeds, modelInputs, type ModelRegistry, type ModelVersion } from '@trainyard/shared/models';
import type { Principal } from '../auth/principal.js';
import { admitted, checkNotify, enqueueTask, enqueueTicket, queueAdmitted, taskTicket, type SubmitDeps, type SubmittedTask, type TaskTicket } from '../tasks/submit-task.js';
import {
  answerFromCache,
  answersField,
  cachedTask,
  predictCachePlan,
  recordLookup,
  withAnswers,
  type CachedPredictTask,
  type PredictCacheDeps,
  type PredictCachePlan,
} from './cached-answer.js';
import type { CachedRolloutCounts } from './cached-rollout-counts.js';
import { routeModel } from './resolve-model.js';
import { queueShadowCopy, type ShadowDeps } from './shadow-copy.js';

export interface PredictSubmitDeps extends SubmitDeps, PredictCacheDeps, ShadowDeps {
  registry: ModelRegistry;
  /** On the queue Redis: used when the cache lives there too. */
  answerOrAdmit: AnswerOrAdmit;
  /** An alias's requests the cache answered (workers count the rest). */
  cachedRollouts: CachedRolloutCounts;
}

type PredictData = Omit<JobInput<'model.predict'>, 'deadline' | 'tenant'>;

/**
 * POST /v1/predict (and /v1/embed with inputs): resolves the version among the caller's tenant's
 * models (an alias with a split picks one, sticky per routing key), checks the inputs against it,
 * then answers from the tenant's cache when every row is cached, or queues the task (identical
 * requests of one tenant in flight share one job). An alias's shadow gets a copy of predictions.
 */
export async function submitPredict(deps: PredictSubmitDeps, caller: Principal, request: PredictRequest): Promise<SubmittedTask | CachedPredictTask> {
  await checkNotify(deps, request.notify);
  const routed = await routeModel(deps.registry.forTenant(caller.tenant), request.model, request.version, request.routing_key);
  const { version: model, alias, shadow } = routed;
  if (request.output === 'embedding') assertEmbeds(model, 'output');
  const data = {
    model: model.model,
    version: model.version,
    inputs: modelInputs(model, request.inputs),
    output: request.output,
    ...(request.notify ? { notify: request.notify } : {}),
    ...(alias ? { rollout: { alias } } : {}),
  };
  const submitted = await submitOrAnswer(deps, caller, request, data, model);
  if (alias && submitted.status === 'SUCCESS') deps.cachedRollouts.count({ tenant: caller.tenant, model: model.model, alias, version: model.version });
  // Only requests that were taken are copied.
  if (alias && shadow !== undefined && request.output === 'prediction') queueShadowCopy(deps, { ...data, tenant: caller.tenant }, alias, shadow);
  return submitted;
}

async function submitOrAnswer(
  deps: PredictSubmitDeps,
  caller: Principal,
  request: PredictRequest,
  data: PredictData,
  model: ModelVersion,
): Promise<SubmittedTask | CachedPredictTask> {
  const plan = predictCachePlan(deps, caller.tenant, request, data, model);
  if (!plan) return enqueueTask(deps, 'predict', caller, data, request);
  // The request is checked (deadline, priority) before the cache answers it.
  const ticket = taskTicket(deps, 'predict', caller, request, data.model);
  // A command reaches one hash slot on a cluster, and the cache lives in shard 0's.
  if (deps.cacheOnQueueRedis && taskShardOf(ticket.taskId) === 0) return answerOrQueue(deps, ticket, data, plan);
  const cached = await answerFromCache(deps, ticket, plan);
  return cached ?? enqueueTicket(deps, ticket, { ...data, ...plan.jobData }, { deduplication: { id: plan.deduplicationId } });
}

/**
 * With the cache on the queue Redis, one command looks the rows up and, unless every row is cached
 * (the answer, kept as a finished task under the task's id), counts the task into its tenant's
 * backlog; then the task is queued.
 */
async function answerOrQueue(deps: PredictSubmitDeps, ticket: TaskTicket<'predict'>, data: PredictData, plan: PredictCachePlan): Promise<SubmittedTask | CachedPredictTask> {
  const { tenant, taskId, submittedAt } = ticket;
  const task = cachedTask(plan, taskId);
  const keep = { key: deps.answered.key(taskId), fields: deps.answered.fields(task, tenant, answersField(plan)), ttlSeconds: deps.answered.retentionSeconds };
  const outcome = await deps.answerOrAdmit.run(plan.keys, keep, await deps.backlog.admission(tenant, 'predict', taskId, deps.tenantMaxTasks, submittedAt));
  recordLookup(deps, plan, 'answers' in outcome);
  if ('answers' in outcome) return withAnswers(task, plan, JSON.parse(outcome.answers) as unknown[]);
  const ahead = await admitted(deps, ticket, outcome.ahead);
  return queueAdmitted(deps, ticket, { ...data, ...plan.jobData }, ahead, { deduplication: { id: plan.deduplicationId } });
}
