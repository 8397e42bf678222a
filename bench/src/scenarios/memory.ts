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
