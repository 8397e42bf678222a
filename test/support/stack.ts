import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { TaskEventLog, type TaskEvent, type TaskResource } from '@trainyard/shared/tasks';
import { request } from './http.js';
import { redisUrl } from './redis.js';

/** A private object-store folder per test file, as STORAGE_URL. */
export function tempStorage(label: string): { dir: string; url: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), `ty-${label}-`));
  return { dir, url: `file://${dir}`, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A small inline regression: y = 2x + 1; trains in well under a second. */
export const inlineLine = {
  inline: { features: [[0], [1], [2], [3], [4], [5], [6], [7]], labels: [1, 3, 5, 7, 9, 11, 13, 15] },
};

export function trainIris(model: string, params: Record<string, unknown> = {}) {
  return {
    model,
    algorithm: 'logistic-regression',
    dataset: { name: 'iris', target: 'species' },
    params: { epochs: 60, learning_rate: 0.1, seed: 7, ...params },
  };
}

/**
 * An MLP on iris that runs every epoch (patience 0): for tests that need a training to last (linear
 * models finish in milliseconds). Small batches make more steps per epoch.
 */
export function trainIrisNetwork(model: string, params: Record<string, unknown> = {}) {
  return {
    model,
    algorithm: 'mlp',
    dataset: { name: 'iris', target: 'species' },
    params: { epochs: 60, seed: 7, patience: 0, ...params },
  };
}

/** Submits a task and returns its id, failing loudly on anything but 202. */
export async function submit(baseUrl: string, path: '/v1/train' | '/v1/predict', body: unknown): Promise<string> {
  const response = await request(`${baseUrl}${path}`, { body });
  if (response.status !== 202) throw new Error(`${path} answered ${response.status}: ${JSON.stringify(response.body)}`);
  return response.body.task_id as string;
}

/** Polls until the task satisfies `done`, keeping every answer seen on the way. */
export async function pollUntil(
  baseUrl: string,
  taskId: string,
  done: (task: TaskResource) => boolean,
  timeoutMs = 30_000,
): Promise<{ task: TaskResource; seen: TaskResource[] }> {
  const seen: TaskResource[] = [];
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const response = await request<TaskResource>(`${baseUrl}/v1/tasks/${taskId}`);
    if (response.status === 200) {
      seen.push(response.body);
      if (done(response.body)) return { task: response.body, seen };
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`task ${taskId} not done in ${timeoutMs} ms; last seen: ${JSON.stringify(seen.at(-1))}`);
}

/** The status events workers wrote for a task, read straight from its Redis stream. */
export async function statusEvents(prefix: string, taskId: string, url = redisUrl): Promise<Extract<TaskEvent, { type: 'status' }>[]> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    const logged = await new TaskEventLog(redis, prefix, 60).read(taskId);
    return logged.flatMap(({ event }) => (event.type === 'status' ? [event] : []));
  } finally {
    redis.disconnect();
  }
}
