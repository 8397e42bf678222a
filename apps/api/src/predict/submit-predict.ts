import type { PredictRequest } from '@trainyard/shared/jobs';
import { assertEmbeds, modelInputs, type ModelRegistry } from '@trainyard/shared/models';
import { checkNotify, enqueueTask, type SubmitDeps, type SubmittedTask } from '../tasks/submit-task.js';
import { answerFromCache, predictCachePlan, type CachedPredictTask, type PredictCacheDeps } from './cached-answer.js';
import { resolveModel } from './resolve-model.js';

export interface PredictSubmitDeps extends SubmitDeps, PredictCacheDeps {
  registry: ModelRegistry;
}

/**
 * POST /v1/predict (and /v1/embed with inputs): resolves the version, checks the inputs against it,
 * then answers from the cache when every row is cached, or queues the task (identical requests in
 * flight share one job).
 */
export async function submitPredict(deps: PredictSubmitDeps, request: PredictRequest): Promise<SubmittedTask | CachedPredictTask> {
  await checkNotify(deps, request.notify);
  const model = await resolveModel(deps.registry, request.model, request.version);
  if (request.output === 'embedding') assertEmbeds(model, 'output');
  const data = {
    model: model.model,
    version: model.version,
    inputs: modelInputs(model, request.inputs),
    output: request.output,
    ...(request.notify ? { notify: request.notify } : {}),
  };
  const plan = predictCachePlan(deps, request, data, model);
  if (!plan) return enqueueTask(deps, 'predict', data, request);
  const cached = await answerFromCache(deps, plan);
  if (cached) return cached;
  return enqueueTask(deps, 'predict', { ...data, ...plan.jobData }, request, { deduplication: { id: plan.deduplicationId } });
}
