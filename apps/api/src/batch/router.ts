import { Router } from 'express';
import { batchPredictRequest, type BatchPredictResult } from '@trainyard/shared/jobs';
import { ConflictError, NotFoundError } from '@trainyard/shared/platform';
import type { ObjectStore } from '@trainyard/shared/storage';
import { taskTypeOf, type TaskResource } from '@trainyard/shared/tasks';
import type { Access } from '../auth/access.js';
import { principalOf } from '../auth/principal.js';
import { parseBody, requireJsonBody } from '../http/validate.js';
import { answerSubmitted } from '../tasks/answer-submitted.js';
import { readTask } from '../tasks/read-task.js';
import type { WaitDeps } from '../tasks/wait-for-task.js';
import { submitBatch, type BatchSubmitDeps } from './submit-batch.js';

export type BatchRouterDeps = BatchSubmitDeps & WaitDeps & { store: ObjectStore; access: Access };

const contentTypes = { csv: 'text/csv; charset=utf-8', jsonl: 'application/jsonl; charset=utf-8' } as const;

/**
 * Batch predictions, in the manner of OpenAI's Batch API: POST queues a task that scores every row
 * of a dataset; the task is read like any other (GET here or under /v1/tasks), and once it has
 * succeeded its output and error file stream from storage.
 */
export function batchRouter(deps: BatchRouterDeps): Router {
  const router = Router();

  router.post('/v1/batch-predictions', deps.access.requires('submit'), requireJsonBody, async (req, res) => {
    await answerSubmitted(deps, req, res, await submitBatch(deps, principalOf(req), parseBody(batchPredictRequest, req)));
  });

  router.get('/v1/batch-predictions/:taskId', deps.access.requires('read'), async (req, res) => {
    res.json(await readBatch(deps, String(req.params.taskId), principalOf(req).tenant));
  });

  for (const part of ['output', 'errors'] as const) {
    router.get(`/v1/batch-predictions/:taskId/${part}`, deps.access.requires('read'), async (req, res) => {
      const task = await readBatch(deps, String(req.params.taskId), principalOf(req).tenant);
      if (task.status !== 'SUCCESS') {
        throw new ConflictError('conflict', `batch ${task.task_id} is ${task.status}; its ${part} can be read once it has succeeded`);
      }
      const file = (task.result as BatchPredictResult)[part];
      const body = await deps.store.getStream(file.key);
      if (!body) throw new NotFoundError(`the ${part} of batch ${task.task_id} is no longer stored`);
      res.status(200).type(contentTypes[file.format]);
      body.on('error', () => res.destroy());
      body.pipe(res);
    });
  }

  return router;
}

/** The caller's batch task; another tenant's answers as one that does not exist. */
async function readBatch(deps: WaitDeps, taskId: string, tenant: string): Promise<TaskResource> {
  if (taskTypeOf(taskId) !== 'batch') throw new NotFoundError(`no batch prediction ${taskId}`);
  return readTask(deps, taskId, tenant);
}
