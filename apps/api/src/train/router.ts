import { Router } from 'express';
import { trainRequest } from '@trainyard/shared/jobs';
import { parseBody, requireJsonBody } from '../http/validate.js';
import { answerSubmitted } from '../tasks/answer-submitted.js';
import type { WaitDeps } from '../tasks/wait-for-task.js';
import { submitTrain, type TrainSubmitDeps } from './submit-train.js';

export type TrainRouterDeps = TrainSubmitDeps & WaitDeps;

export function trainRouter(deps: TrainRouterDeps): Router {
  const router = Router();
  router.post('/v1/train', requireJsonBody, async (req, res) => {
    await answerSubmitted(deps, req, res, await submitTrain(deps, parseBody(trainRequest, req)));
  });
  return router;
}
