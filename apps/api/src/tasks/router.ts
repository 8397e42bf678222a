import { Router, type Request, type Response } from 'express';
import { embedRequest, predictRequest, trainRequest } from '@trainyard/shared/jobs';
import { parseBody, requireJsonBody } from '../http/validate.js';
import { submitEmbedDataset } from '../cache/embed-dataset.js';
import { cancelTask } from './cancel-task.js';
import { readTask } from './read-task.js';
import { submitPredict, submitTrain, type SubmitDeps, type SubmittedTask } from './submit.js';
import { preferredWait, waitForTask, waitQuery, type WaitDeps } from './wait-for-task.js';

export type TaskRouterDeps = SubmitDeps & WaitDeps;

export function taskRouter(deps: TaskRouterDeps): Router {
  const router = Router();

  /** 202 with the submitted task; with `Prefer: wait=N`, 200 with the task if it finishes within N seconds. */
  const accepted = async (req: Request, res: Response, submitted: SubmittedTask) => {
    res.location(submitted.links.self);
    const wait = preferredWait(req.get('prefer'));
    if (wait === null) return void res.status(202).json(submitted);
    const { task, finished } = await waitForTask(deps, submitted.task_id, wait, clientGone(res));
    res.status(finished ? 200 : 202).set('preference-applied', `wait=${wait}`).json(task);
  };

  router.post('/v1/train', requireJsonBody, async (req, res) => {
    await accepted(req, res, await submitTrain(deps, parseBody(trainRequest, req)));
  });

  router.post('/v1/predict', requireJsonBody, async (req, res) => {
    const task = await submitPredict(deps, parseBody(predictRequest, req));
    if (task.status === 'SUCCESS') return void res.status(200).json(task);
    await accepted(req, res, task);
  });

  /** A predict task for embeddings: answered from the embedding cache (200) or queued (202). */
  router.post('/v1/embed', requireJsonBody, async (req, res) => {
    const { inputs, dataset, ...request } = parseBody(embedRequest, req);
    if (dataset) return void (await accepted(req, res, await submitEmbedDataset(deps, { ...request, dataset })));
    const task = await submitPredict(deps, { ...request, inputs: inputs!, output: 'embedding' });
    if (task.status === 'SUCCESS') return void res.status(200).json(task);
    await accepted(req, res, task);
  });

  router.get('/v1/tasks/:taskId', async (req, res) => {
    const wait = waitQuery(req.query.wait);
    if (wait === null) return void res.json(await readTask(deps, req.params.taskId));
    const { task, finished } = await waitForTask(deps, req.params.taskId, wait, clientGone(res));
    res.status(finished ? 200 : 202).json(task);
  });

  /** 200 with the task once REVOKED; 202 while the worker running it has yet to stop it. */
  router.post('/v1/tasks/:taskId/cancel', async (req, res) => {
    const { task, stopping } = await cancelTask(deps, req.params.taskId);
    res.status(stopping ? 202 : 200).json(task);
  });

  return router;
}

/** Aborts when the client disconnects before the response is complete, so a waiting request frees its connection. */
function clientGone(res: Response): AbortSignal {
  const gone = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) gone.abort();
  });
  return gone.signal;
}
