import { Router } from 'express';
import { trainRequest } from '@trainyard/shared/jobs';
import type { Access } from '../auth/access.js';
import { principalOf } from '../auth/principal.js';
import { parseBody, requireJsonBody } from '../http/validate.js';
import { answerSubmitted } from '../tasks/answer-submitted.js';
import type { Idempotency } from '../tasks/idempotency.js';
import type { WaitDeps } from '../tasks/wait-for-task.js';
import { submitTrain, type TrainSubmitDeps } from './submit-train.js';

export type TrainRouterDeps = TrainSubmitDeps & WaitDeps & { access: Access; idempotency: Idempotency };

export function trainRouter(deps: TrainRouterDeps): Router {
  const router = Router();
  router.post('/v1/train', deps.access.requires('submit'), requireJsonBody, async (req, res) => {
    const caller = principalOf(req);
    const request = parseBody(trainRequest, req);
    const task = await deps.idempotency.once(req, caller.tenant, () => submitTrain(deps, caller, request));
    await answerSubmitted(deps, req, res, task);
  });
  return router;
}
