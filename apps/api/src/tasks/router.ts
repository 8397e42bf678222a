import { Router } from 'express';
import { predictRequest, trainRequest } from '@trainyard/shared/jobs';
import { parseBody, requireJsonBody } from '../http/validate.js';
import { readTask, type ReadTaskDeps } from './read-task.js';
import { submitPredict, submitTrain, type SubmitDeps, type SubmittedTask } from './submit.js';

export type TaskRouterDeps = SubmitDeps & ReadTaskDeps;

export function taskRouter(deps: TaskRouterDeps): Router {
  const router = Router();
  const accepted = (res: import('express').Response, task: SubmittedTask) =>
    res.status(202).location(task.links.self).json(task);

  router.post('/v1/train', requireJsonBody, async (req, res) => {
    accepted(res, await submitTrain(deps, parseBody(trainRequest, req)));
  });

  router.post('/v1/predict', requireJsonBody, async (req, res) => {
    accepted(res, await submitPredict(deps, parseBody(predictRequest, req)));
  });

  router.get('/v1/tasks/:taskId', async (req, res) => {
    res.json(await readTask(deps, req.params.taskId));
  });

  return router;
}
