import { Router, type Request, type Response } from 'express';
import { embedRequest, predictRequest } from '@trainyard/shared/jobs';
import type { Access } from '../auth/access.js';
import { principalOf } from '../auth/principal.js';
import { parseBody, requireJsonBody } from '../http/validate.js';
import { answerSubmitted } from '../tasks/answer-submitted.js';
import type { Idempotency } from '../tasks/idempotency.js';
import type { SubmittedTask } from '../tasks/submit-task.js';
import type { WaitDeps } from '../tasks/wait-for-task.js';
import type { CachedPredictTask } from './cached-answer.js';
import { submitEmbedDataset, type EmbedDatasetDeps } from './embed-dataset.js';
import { submitPredict, type PredictSubmitDeps } from './submit-predict.js';

export type PredictRouterDeps = PredictSubmitDeps & EmbedDatasetDeps & WaitDeps & { access: Access; idempotency: Idempotency };

/** POST /v1/predict and POST /v1/embed: answered from the cache (200) or queued (202). */
export function predictRouter(deps: PredictRouterDeps): Router {
  const router = Router();
  const answer = async (req: Request, res: Response, task: SubmittedTask | CachedPredictTask) => {
    if (task.status === 'SUCCESS') {
      res.locals.taskId = task.task_id;
      return void res.status(200).location(`/v1/tasks/${task.task_id}`).json(task);
    }
    await answerSubmitted(deps, req, res, task);
  };

  router.post('/v1/predict', deps.access.requires('submit'), requireJsonBody, async (req, res) => {
    const caller = principalOf(req);
    const request = parseBody(predictRequest, req);
    await answer(req, res, await deps.idempotency.once(req, caller.tenant, () => submitPredict(deps, caller, request)));
  });

  /** Embeddings of texts, or (with `dataset`) a background task filling the embedding cache from a stored dataset. */
  router.post('/v1/embed', deps.access.requires('submit'), requireJsonBody, async (req, res) => {
    const caller = principalOf(req);
    const { inputs, dataset, ...request } = parseBody(embedRequest, req);
    const submit = () =>
      dataset ? submitEmbedDataset(deps, caller, { ...request, dataset }) : submitPredict(deps, caller, { ...request, inputs: inputs!, output: 'embedding' });
    await answer(req, res, await deps.idempotency.once(req, caller.tenant, submit));
  });

  return router;
}
