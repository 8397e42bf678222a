import type { PredictRequest } from '@trainyard/shared/jobs';
import { assertEmbeds, modelInputs, type ModelRegistry } from '@trainyard/shared/models';
import type { Principal } from '../auth/principal.js';
import { checkNotify, enqueueTask, type SubmitDeps, type SubmittedTask } from '../tasks/submit-task.js';
import { answerFromCache, predictCachePlan, type CachedPredictTask, type PredictCacheDeps } from './cached-answer.js';
import { resolveModel } from './resolve-model.js';

export interface PredictSubmitDeps extends SubmitDeps, PredictCacheDeps {
  registry: ModelRegistry;
}

/**
 * POST /v1/predict (and /v1/embed with inputs): resolves the version among the caller's tenant's
 * models, checks the inputs against it, then answers from the tenant's cache when every row is
 * cached, or queues the task (identical requests of one tenant in flight share one job).
 */
export async function submitPredict(deps: PredictSubmitDeps, caller: Principal, request: PredictRequest): Promise<SubmittedTask | CachedPredictTask> {
  await checkNotify(deps, request.notify);
  const model = await resolveModel(deps.registry.forTenant(caller.tenant), request.model, request.version);
  if (request.output === 'embedding') assertEmbeds(model, 'output');
  const data = {
    model: model.model,
    version: model.version,
    inputs: modelInputs(model, request.inputs),
    output: request.output,
    ...(request.notify ? { notify: request.notify } : {}),
  };
  const plan = predictCachePlan(deps, caller.tenant, request, data, model);
  if (!plan) return enqueueTask(deps, 'predict', caller, data, request);
  const cached = await answerFromCache(deps, caller.tenant, plan);
  if (cached) return cached;
  return enqueueTask(deps, 'predict', caller, { ...data, ...plan.jobData }, request, { deduplication: { id: plan.deduplicationId } });
}
