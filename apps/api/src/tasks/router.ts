import { Router } from 'express';
import { clientGone } from './answer-submitted.js';
import { cancelTask } from './cancel-task.js';
import { readTask } from './read-task.js';
import { waitForTask, waitQuery, type WaitDeps } from './wait-for-task.js';

/** Reading and cancelling tasks of every type. */
export function taskRouter(deps: WaitDeps): Router {
  const router = Router();

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
