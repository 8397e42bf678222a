import type { TaskResource } from '@trainyard/shared/tasks';
import type { JsonClient } from '../support/http.js';
import { sleep } from '../support/wait.js';

/** POSTs a train or predict request; returns the task id of the 202 answer. */
export async function submitTask(client: JsonClient, path: '/v1/train' | '/v1/predict', body: unknown): Promise<string> {
  const response = await client.post<{ task_id?: string }>(path, body);
  if (response.status !== 202 || !response.body?.task_id) {
    throw new Error(`POST ${path} answered ${response.status}: ${JSON.stringify(response.body)}`);
  }
  return response.body.task_id;
}

export async function getTask(client: JsonClient, taskId: string): Promise<TaskResource> {
  const response = await client.get<TaskResource>(`/v1/tasks/${taskId}`);
  if (response.status !== 200) throw new Error(`GET task ${taskId} answered ${response.status}: ${JSON.stringify(response.body)}`);
  return response.body;
}

const finished = new Set(['SUCCESS', 'FAILURE', 'REVOKED', 'EXPIRED']);

/** Polls a task until it finishes; throws unless it succeeded. For setup steps, not for timing. */
export async function awaitSuccess(client: JsonClient, taskId: string, timeoutMs: number, intervalMs = 100): Promise<TaskResource> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const task = await getTask(client, taskId);
    if (task.status === 'SUCCESS') return task;
    if (finished.has(task.status)) throw new Error(`task ${taskId} ended ${task.status}: ${JSON.stringify(task.error)}`);
    if (Date.now() > deadline) throw new Error(`task ${taskId} still ${task.status} after ${timeoutMs} ms`);
    await sleep(intervalMs);
  }
}

/** Runs `work` over `items` with at most `concurrency` at a time, in order of start. */
export async function forEachConcurrently<T, R>(items: readonly T[], concurrency: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane));
  return results;
}
