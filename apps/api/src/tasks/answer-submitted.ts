import type { Request, Response } from 'express';
import { principalOf } from '../auth/principal.js';
import type { SubmittedTask } from './submit-task.js';
import { preferredWait, waitForTask, type WaitDeps } from './wait-for-task.js';

/**
 * Answers a submit: 202 with the queued task and its Location; with `Prefer: wait=N`, 200 with the
 * task if it finishes within N seconds, else 202 with the task as it stands. The task is queued
 * already, so nothing the wait runs into (a cap on waits, Redis going away) turns the answer into
 * an error a client would retry: it answers 202 with the task id.
 */
export async function answerSubmitted(deps: WaitDeps, req: Request, res: Response, submitted: SubmittedTask): Promise<void> {
  res.location(submitted.links.self);
  res.locals.taskId = submitted.task_id;
  const wait = preferredWait(req.get('prefer'));
  if (wait === null) return void res.status(202).json(submitted);
  let waited;
  try {
    waited = await waitForTask(deps, submitted.task_id, wait, clientGone(res), principalOf(req));
  } catch {
    return void res.status(202).json(submitted);
  }
  res.status(waited.finished ? 200 : 202).set('preference-applied', `wait=${wait}`).json(waited.task);
}

/** Aborts when the client disconnects before the response is complete, so a waiting request frees its connection. */
export function clientGone(res: Response): AbortSignal {
  const gone = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) gone.abort();
  });
  return gone.signal;
}
