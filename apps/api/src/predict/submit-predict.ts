import type { JobInput, PredictRequest } from '@trainyard/shared/jobs';
import { assertEmbeds, modelInputs, type ModelRegistry, type ModelVersion } from '@trainyard/shared/models';
import type { Principal } from '../auth/principal.js';
import { checkNotify, enqueueTask, type SubmitDeps, type SubmittedTask } from '../tasks/submit-task.js';
import { answerFromCache, predictCachePlan, type CachedPredictTask, type PredictCacheDeps } from './cached-answer.js';
import { routeModel } from './resolve-model.js';
import { queueShadowCopy, type ShadowDeps } from './shadow-copy.js';

export interface PredictSubmitDeps extends SubmitDeps, PredictCacheDeps, ShadowDeps {
  registry: ModelRegistry;
}

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
  // Only requests that were taken are copied.
  if (alias && shadow !== undefined && request.output === 'prediction') queueShadowCopy(deps, { ...data, tenant: caller.tenant }, alias, shadow);
  return submitted;
}

async function submitOrAnswer(
  deps: PredictSubmitDeps,
  caller: Principal,
  request: PredictRequest,
  data: Omit<JobInput<'model.predict'>, 'deadline' | 'tenant'>,
  model: ModelVersion,
): Promise<SubmittedTask | CachedPredictTask> {
  const plan = predictCachePlan(deps, caller.tenant, request, data, model);
  if (!plan) return enqueueTask(deps, 'predict', caller, data, request);
  const cached = await answerFromCache(deps, caller.tenant, plan);
  if (cached) return cached;
  return enqueueTask(deps, 'predict', caller, { ...data, ...plan.jobData }, request, { deduplication: { id: plan.deduplicationId } });
}
