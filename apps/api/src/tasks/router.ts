import { Router } from 'express';
import type { AuditLog } from '../admin/audit.js';
import type { Access } from '../auth/access.js';
import { principalOf } from '../auth/principal.js';
import { parseBody, parseValue, requireJsonBody } from '../http/validate.js';
import { seenOf, tellSeen, type ReplicaReads } from '../reads/replica-reads.js';
import { clientGone } from './answer-submitted.js';
import { cancelTask, type CancelDeps } from './cancel-task.js';
import { listQuery, listTasks } from './list-tasks.js';
import { readTask, type ReadTaskDeps } from './read-task.js';
import { bulkRetryRequest, retryMatching, retryTask, type RetryDeps } from './retry-task.js';
import { waitForTask, waitQuery, type WaitDeps } from './wait-for-task.js';

export type TaskRouterDeps = WaitDeps & CancelDeps & RetryDeps & { access: Access; audit: AuditLog; reads: ReplicaReads<ReadTaskDeps> };

/** Listing, reading, cancelling and retrying the caller's tenant's tasks of every type. */
export function taskRouter(deps: TaskRouterDeps): Router {
  const router = Router();

  router.get('/v1/tasks', deps.access.requires('read'), async (req, res) => {
    res.json(await listTasks(deps, principalOf(req).tenant, parseValue(listQuery, req.query)));
  });

  /** A dead-letter workflow without a second queue: every failed task matching the filter, run again. */
  router.post('/v1/tasks\\:retry', deps.access.requires('submit'), requireJsonBody, async (req, res) => {
    const tasks = await retryMatching(deps, principalOf(req), parseBody(bulkRetryRequest, req));
    res.status(202).json({ tasks });
  });

  router.get('/v1/tasks/:taskId', deps.access.requires('read'), async (req, res) => {
    const caller = principalOf(req);
    const taskId = String(req.params.taskId);
    const wait = waitQuery(req.query.wait);
    const seen = seenOf(req);
    if (wait === null) {
      const read = await deps.reads.read(seen, (side) => readTask(side, taskId, caller.tenant));
      tellSeen(res, read.seen);
      return void res.json(read.value);
    }
    // A wait follows the job's end on the primary, and reads the task there.
    const waited = await deps.reads.onPrimary(seen, () => waitForTask(deps, taskId, wait, clientGone(res), caller));
    tellSeen(res, waited.seen);
    res.status(waited.value.finished ? 200 : 202).json(waited.value.task);
  });

  /** 200 with the task once REVOKED; 202 while the worker running it has yet to stop it. */
  router.post('/v1/tasks/:taskId/cancel', deps.audit.records('task.cancel', (req) => String(req.params.taskId)), deps.access.requires('manage'), async (req, res) => {
    const cancelled = await deps.reads.onPrimary(seenOf(req), () => cancelTask(deps, String(req.params.taskId), principalOf(req).tenant));
    tellSeen(res, cancelled.seen);
    res.status(cancelled.value.stopping ? 202 : 200).json(cancelled.value.task);
  });

  router.post('/v1/tasks/:taskId/retry', deps.access.requires('submit'), async (req, res) => {
    const task = await retryTask(deps, String(req.params.taskId), principalOf(req));
    res.locals.taskId = task.task_id;
    res.status(202).location(`/v1/tasks/${task.task_id}`).json(task);
  });

  return router;
}
