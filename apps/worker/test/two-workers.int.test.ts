import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { TaskResource } from '@trainyard/shared/tasks';
import { request, waitForTask } from '@trainyard/test-support/http';
import { startApi, startWorker, type RunningProcess } from '@trainyard/test-support/processes';
import { deletePrefix, testPrefix } from '@trainyard/test-support/redis';

/**
 * Workers are stateless: separate processes share only Redis and object storage. A model trained by
 * one is served by another, and a worker killed mid-task loses nothing (its lock lapses and another
 * worker takes the task over).
 */

const prefix = testPrefix('twoworkers');
const storageDir = mkdtempSync(join(tmpdir(), 'ty-twoworkers-'));
// Short locks so a killed worker's task is taken over within seconds.
const env = { QUEUE_PREFIX: prefix, STORAGE_URL: `file://${storageDir}`, WORKER_LOCK_MS: '2000', WORKER_STALLED_INTERVAL_MS: '1000' };
const processes: RunningProcess[] = [];
let api: RunningProcess & { url: string };

async function worker(queue: 'train' | 'predict', extra: Record<string, string> = {}): Promise<{ process: RunningProcess; name: string }> {
  const process = await startWorker({ ...env, WORKER_QUEUES: queue, ...extra });
  processes.push(process);
  const { worker: name } = JSON.parse(await process.waitForLine(/worker ready/)) as { worker: string };
  return { process, name };
}

let trainer: Awaited<ReturnType<typeof worker>>;
let predictor: Awaited<ReturnType<typeof worker>>;

beforeAll(async () => {
  [api, trainer, predictor] = await Promise.all([startApi(env), worker('train'), worker('predict', { PREDICT_CONCURRENCY: '1' })]);
  processes.push(api);
});

afterAll(async () => {
  await Promise.all(processes.map((process) => process.stop()));
  await deletePrefix(prefix);
  rmSync(storageDir, { recursive: true, force: true });
});

const iris = { name: 'iris', target: 'species' };

async function submit(path: '/v1/train' | '/v1/predict', body: object): Promise<string> {
  const response = await request(`${api.url}${path}`, { body });
  expect(response.status, JSON.stringify(response.body).slice(0, 300)).toBe(202);
  return response.body.task_id as string;
}

it('serves a model trained by one worker process from another', async () => {
  const trained = await waitForTask(api.url, await submit('/v1/train', { model: 'flowers', algorithm: 'mlp', dataset: iris, params: { epochs: 30, seed: 3 } }));
  expect(trained.status).toBe('SUCCESS');
  expect(trained.worker).toBe(trainer.name);

  const inputs = [
    [5.1, 3.5, 1.4, 0.2],
    [6.7, 3.0, 5.2, 2.3],
  ];
  const predicted = await waitForTask(api.url, await submit('/v1/predict', { model: 'flowers', inputs }));
  expect(predicted.status).toBe('SUCCESS');
  expect(predicted.worker).toBe(predictor.name);
  expect(predicted.worker).not.toBe(trained.worker);
  const { predictions } = predicted.result as { predictions: { label: string }[] };
  expect(predictions.map((p) => p.label)).toEqual(['setosa', 'virginica']);
});

it('loses no training when its worker is SIGKILLed mid-run', async () => {
  const taskId = await submit('/v1/train', { model: 'survivor', algorithm: 'mlp', dataset: iris, params: { epochs: 15, batch_size: 4, seed: 4 } });
  const deadline = Date.now() + 30_000;
  let seen: TaskResource | undefined;
  while (Date.now() < deadline && !((seen?.progress?.epoch ?? 0) >= 1)) {
    seen = (await request<TaskResource>(`${api.url}/v1/tasks/${taskId}`)).body;
    await new Promise((r) => setTimeout(r, 25));
  }
  expect(seen?.status).toBe('STARTED');
  expect(seen?.progress?.epoch).toBeLessThan(15);

  await trainer.process.stop('SIGKILL');
  const successor = await worker('train');
  const done = await waitForTask(api.url, taskId, ['SUCCESS', 'FAILURE'], 60_000);
  expect(done.status).toBe('SUCCESS');
  expect(done.worker).toBe(successor.name);
  const starts = done.history.filter((entry) => entry.status === 'STARTED').map((entry) => entry.worker);
  expect(starts).toEqual([trainer.name, successor.name]);
  expect(done.result).toMatchObject({ model: 'survivor', version: 1 });
});

it('loses no prediction when its worker is SIGKILLed while tasks are queued and running', async () => {
  // Thousands of rows each (different per task, so no answer comes from a cache), one task at a
  // time: the batch keeps the predictor busy for a while.
  const rows = (task: number) => Array.from({ length: 2_000 }, (_, i) => [4 + (i % 40) / 10, 3 + task / 100, 1 + (i % 60) / 10, (i % 25) / 10]);
  const taskIds: string[] = [];
  // Frozen while the tasks are queued, so however fast the machine, most are still waiting at the kill.
  predictor.process.child.kill('SIGSTOP');
  for (let task = 0; task < 12; task++) taskIds.push(await submit('/v1/predict', { model: 'flowers', inputs: rows(task) }));
  predictor.process.child.kill('SIGCONT');
  await waitForTask(api.url, taskIds[0]!, ['SUCCESS']);
  const startedAt = Date.now();

  await predictor.process.stop('SIGKILL');
  const successor = await worker('predict');
  const done: TaskResource[] = [];
  for (const id of taskIds) done.push(await waitForTask(api.url, id, ['SUCCESS', 'FAILURE'], 30_000));
  expect(done.map((task) => task.status)).toEqual(taskIds.map(() => 'SUCCESS'));
  console.log(`${taskIds.length} predictions finished ${Date.now() - startedAt} ms after the first; worker per task:`,
    done.map((task) => task.worker === predictor.name ? 'killed' : 'successor').join(' '));
  const workers = new Set(done.map((task) => task.worker));
  expect(workers.has(predictor.name)).toBe(true);
  expect(workers.has(successor.name)).toBe(true);
  for (const task of done) expect((task.result as { predictions: unknown[] }).predictions).toHaveLength(2_000);
});
