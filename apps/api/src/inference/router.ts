import { readFileSync } from 'node:fs';
import { Router, type ErrorRequestHandler, type Request, type Response } from 'express';
import { predictRequest, type Prediction } from '@trainyard/shared/jobs';
import { AppError, modelName, type Logger, type RedisClient } from '@trainyard/shared/platform';
import type { Access } from '../auth/access.js';
import { authentication, type Authenticator } from '../auth/authenticator.js';
import { principalOf, type Principal } from '../auth/principal.js';
import { readiness, type HealthDeps } from '../health/router.js';
import { errorHandler } from '../http/error-handler.js';
import { parseParam } from '../http/params.js';
import { requireRedis } from '../http/require-redis.js';
import { parseValue, requireJsonBody } from '../http/validate.js';
import { versionRef } from '../models/router.js';
import { resolveModel } from '../predict/resolve-model.js';
import { submitPredict, type PredictSubmitDeps } from '../predict/submit-predict.js';
import { clientGone } from '../tasks/answer-submitted.js';
import { waitForTask, type WaitDeps } from '../tasks/wait-for-task.js';
import { inferenceRequest, modelTensors, outputTensors, predictInputs } from './tensors.js';

export interface InferenceDeps extends PredictSubmitDeps, WaitDeps, HealthDeps {
  log: Logger;
  authenticator: Authenticator | null;
  access: Access;
  /** How long an inference waits for its prediction task before answering 503 with the task id. */
  inferWaitSeconds: number;
}

const { version: serverVersion } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

/** An optional `/versions/{v}` segment: a version number, an alias or `latest`. */
const model = '/v2/models/:name{/versions/:version}';

/**
 * The version a path names in the caller's tenant: `/versions/3` → 3, an alias as it is, none for
 * the latest; a 404 when there is no such model or version.
 */
function resolvedFrom(deps: InferenceDeps, req: Request) {
  const name = parseParam(modelName, req.params.name, 'name');
  const version = req.params.version === undefined ? undefined : parseParam(versionRef, req.params.version, 'version');
  return resolveModel(deps.registry.forTenant(principalOf(req).tenant), name, version);
}

/**
 * The Open Inference Protocol (KServe v2 REST) as a second way to predict, so off-the-shelf
 * KServe, Triton and MLServer clients can call Trainyard. Inference is synchronous by nature: it
 * goes through the same predict submission as POST /v1/predict (input check, cache answer,
 * queue), then waits for the task, at most INFER_WAIT_S; past that it answers 503 with
 * Retry-After and the task's id, which the task API can follow.
 */
export function inferenceRouter(deps: InferenceDeps): Router {
  const router = Router();

  router.get('/v2', (_req, res) => {
    res.json({ name: 'trainyard', version: serverVersion, extensions: [] });
  });

  router.get('/v2/health/live', (_req, res) => {
    res.json({ live: true });
  });

  router.get('/v2/health/ready', async (_req, res) => {
    const { ready } = await readiness(deps);
    res.status(ready ? 200 : 503).json({ ready });
  });

  // Models are a tenant's: their routes need a key, as /v1's do (the health routes above need none).
  router.use('/v2/models', requireRedis(deps.redis), authentication(deps.authenticator));

  router.get(model, deps.access.requires('read'), async (req, res) => {
    const version = await resolvedFrom(deps, req);
    const versions = (await deps.registry.forTenant(principalOf(req).tenant).versions(version.model)).map((v) => String(v.version));
    res.json({ name: version.model, versions, platform: 'tensorflowjs_layers', ...modelTensors(version) });
  });

  router.get(`${model}/ready`, deps.access.requires('read'), async (req, res) => {
    const version = await resolvedFrom(deps, req);
    res.json({ name: version.model, ready: true });
  });

  router.post(`${model}/infer`, deps.access.requires('submit'), requireJsonBody, async (req, res) => {
    const caller = principalOf(req);
    const version = await resolvedFrom(deps, req);
    const inference = parseValue(inferenceRequest, req.body);
    const request = parseValue(predictRequest, { model: version.model, version: version.version, inputs: predictInputs(version, inference.inputs) });
    const submitted = await submitPredict(deps, caller, request);
    const result = submitted.status === 'SUCCESS' ? submitted.result : await predictionOf(deps, submitted.task_id, caller, clientGone(res), res);
    const { predictions } = result as { predictions: Prediction[] };
    res.json({
      model_name: version.model,
      model_version: String(version.version),
      id: inference.id ?? submitted.task_id,
      outputs: outputTensors(version, predictions, inference.outputs),
    });
  });

  return router;
}

/** A queued prediction's result, waited for at most INFER_WAIT_S; past that a 503 that says which task to follow. */
async function predictionOf(deps: InferenceDeps, taskId: string, caller: Principal, gone: AbortSignal, res: Response): Promise<unknown> {
  const { task, finished } = await waitForTask(deps, taskId, deps.inferWaitSeconds, gone, caller);
  if (!finished) {
    res.set({ 'retry-after': '1', 'trainyard-task-id': taskId, location: `/v1/tasks/${taskId}` });
    throw new AppError('unavailable', `the prediction has not finished within ${deps.inferWaitSeconds} s; it goes on as task ${taskId}`);
  }
  if (task.status !== 'SUCCESS') throw new AppError(task.error?.code ?? 'failed', task.error?.message ?? `the prediction ended ${task.status}`);
  return task.result;
}

/** The protocol's error body: `{ "error": "message" }`, with the status of the error catalog (400, 404, 503 …). */
export function inferenceErrors(log: Logger, redis: RedisClient): ErrorRequestHandler {
  return errorHandler(log, redis, (res, error) => void res.status(error.status).json({ error: error.message }));
}
