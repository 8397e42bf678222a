import { predictBody } from '../settings.js';
import { sleep } from '../support/wait.js';
import { awaitSuccess, submitTask } from '../trainyard/tasks.js';
import type { TrainyardStack } from '../trainyard/stack.js';

/** Lets the worker settle (freed buffers, finished callbacks) before its memory is read. */
const settleMs = 1_000;

/**
 * Worker RSS (its whole process tree) once it has served a prediction from each of the given
 * trained models, so each is loaded at least once.
 */
export async function workerRssAfterLoading(stack: TrainyardStack, models: readonly string[], timeoutMs: number): Promise<number> {
  for (const model of models) {
    await awaitSuccess(stack.client, await submitTask(stack.client, '/v1/predict', predictBody(model)), timeoutMs, 20);
  }
  await sleep(settleMs);
  return stack.workerRssBytes();
}

/**
 * RSS of a predict-only worker (WORKER_QUEUES=predict) started beside the stack's, once it has
 * served a prediction of each model itself (the task's `worker` names it); stopped afterwards.
 */
export async function predictOnlyWorkerRss(stack: TrainyardStack, models: readonly string[], timeoutMs: number): Promise<number> {
  const worker = await stack.addWorker('predict-only worker', 'predict');
  try {
    for (const model of models) {
      for (let tries = 1; ; tries++) {
        const task = await awaitSuccess(stack.client, await submitTask(stack.client, '/v1/predict', predictBody(model)), timeoutMs, 5);
        if (task.worker?.endsWith(`:${worker.pid}`)) break;
        if (tries === 200) throw new Error(`the predict-only worker served none of 200 predictions of ${model}`);
      }
    }
    await sleep(settleMs);
    return worker.rssBytes();
  } finally {
    await stack.stopWorkerProcess(worker);
  }
}
