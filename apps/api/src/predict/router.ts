import { Router, type Request, type Response } from 'express';
import { embedRequest, predictRequest } from '@trainyard/shared/jobs';
import { parseBody, requireJsonBody } from '../http/validate.js';
import { answerSubmitted } from '../tasks/answer-submitted.js';
import type { SubmittedTask } from '../tasks/submit-task.js';
import type { WaitDeps } from '../tasks/wait-for-task.js';
import type { CachedPredictTask } from './cached-answer.js';
import { submitEmbedDataset, type EmbedDatasetDeps } from './embed-dataset.js';
import { submitPredict, type PredictSubmitDeps } from './submit-predict.js';

export type PredictRouterDeps = PredictSubmitDeps & EmbedDatasetDeps & WaitDeps;

/** POST /v1/predict and POST /v1/embed: answered from the cache (200) or queued (202). */
export function predictRouter(deps: PredictRouterDeps): Router {
  const router = Router();
  const answer = async (req: Request, res: Response, task: SubmittedTask | CachedPredictTask) => {
    if (task.status === 'SUCCESS') return void res.status(200).location(`/v1/tasks/${task.task_id}`).json(task);
    await answerSubmitted(deps, req, res, task);
  };

  router.post('/v1/predict', requireJsonBody, async (req, res) => {
    await answer(req, res, await submitPredict(deps, parseBody(predictRequest, req)));
  });

  /** Embeddings of texts, or (with `dataset`) a background task filling the embedding cache from a stored dataset. */
  router.post('/v1/embed', requireJsonBody, async (req, res) => {
    const { inputs, dataset, ...request } = parseBody(embedRequest, req);
    if (dataset) return void (await answerSubmitted(deps, req, res, await submitEmbedDataset(deps, { ...request, dataset })));
    await answer(req, res, await submitPredict(deps, { ...request, inputs: inputs!, output: 'embedding' }));
  });

  return router;
}
