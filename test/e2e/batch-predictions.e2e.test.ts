import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BatchPredictResult } from '@trainyard/shared/jobs';
import type { TaskResource } from '@trainyard/shared/tasks';
import { bearer } from '@trainyard/test-support/auth';
import { request, waitForTask } from '@trainyard/test-support/http';
import { startApi, startWorker, type RunningProcess } from '@trainyard/test-support/processes';
import { deletePrefix, redisUrl, testPrefix } from '@trainyard/test-support/redis';
import { pollUntil, submit, tempStorage, trainIris } from '@trainyard/test-support/stack';

/**
 * Batch predictions end to end: the API and two worker processes, each serving batches and their
 * chunks. Small chunks make a batch of 100,000 rows last long enough to act on it mid-way.
 */

const prefix = testPrefix('batch');
const storage = tempStorage('batch');
const env = { QUEUE_PREFIX: prefix, STORAGE_URL: storage.url };
const workerEnv = { ...env, WORKER_QUEUES: 'train,predict,batch,batch-chunks', BATCH_CHUNK_ROWS: '250', BATCH_CHUNK_CONCURRENCY: '1', WORKER_LOCK_MS: '1000', WORKER_STALLED_INTERVAL_MS: '1000' };
const bigRows = 100_000;
let api: RunningProcess & { url: string };
const workers: RunningProcess[] = [];
let redis: Redis;

/** An iris-shaped row that is the same for the same number. */
const row = (n: number) => [4.3 + (n % 36) / 10, 2 + (n % 24) / 10, 1 + (n % 59) / 10, 0.1 + (n % 25) / 10];
const csvOf = (rows: number[][]) => `sepal_length,sepal_width,petal_length,petal_width,species\n${rows.map((values) => `${values.join(',')},unknown`).join('\n')}\n`;

async function upload(name: string, csv: string): Promise<void> {
  const response = await fetch(`${api.url}/v1/datasets/${name}`, { method: 'PUT', headers: { 'content-type': 'text/csv', ...bearer() }, body: csv });
  expect(response.status).toBe(201);
}

const batch = (body: Record<string, unknown>) => request(`${api.url}/v1/batch-predictions`, { body: { model: 'flowers', ...body } });

async function finishedBatch(body: Record<string, unknown>): Promise<TaskResource & { result: BatchPredictResult }> {
  const submitted = await batch(body);
  expect(submitted.status).toBe(202);
  const task = await waitForTask(api.url, submitted.body.task_id, ['SUCCESS', 'FAILURE', 'REVOKED'], 120_000);
  expect(task.status).toBe('SUCCESS');
  return task as TaskResource & { result: BatchPredictResult };
}

async function download(url: string): Promise<{ type: string | null; lines: string[] }> {
  const response = await fetch(`${api.url}${url}`, { headers: bearer() });
  expect(response.status).toBe(200);
  return { type: response.headers.get('content-type'), lines: (await response.text()).split('\n').filter(Boolean) };
}

/** The chunk ledger as the workers left it: which worker scored each chunk. */
async function chunkWorkers(taskId: string): Promise<string[]> {
  const fields = await redis.hgetall(`${prefix}:task:${taskId}:chunks`);
  return Object.entries(fields)
    .filter(([field]) => field.startsWith('done:'))
    .map(([, value]) => value.split(',')[2]!);
}

const pidOf = (task: TaskResource) => Number(task.worker?.split(':').at(-1));

beforeAll(async () => {
  redis = new Redis(redisUrl);
  api = await startApi(env);
  workers.push(...(await Promise.all([startWorker(workerEnv), startWorker(workerEnv)])));
  const trained = await waitForTask(api.url, await submit(api.url, '/v1/train', trainIris('flowers', { epochs: 20 })), ['SUCCESS', 'FAILURE'], 120_000);
  expect(trained.status).toBe('SUCCESS');
  await upload('many', csvOf(Array.from({ length: bigRows }, (_, n) => row(n))));
});

afterAll(async () => {
  await Promise.all([api?.stop(), ...workers.map((worker) => worker.stop('SIGKILL'))]);
  redis?.disconnect();
  await deletePrefix(prefix);
  storage.remove();
});

describe('POST /v1/batch-predictions', () => {
  it('scores every row of a stored dataset once, in order, into a CSV, with the two workers sharing the chunks', async () => {
    const task = await finishedBatch({ dataset: 'many' });
    expect(task.result.request_counts).toEqual({ total: bigRows, completed: bigRows, failed: 0 });
    expect(task.progress).toEqual({ percent: 100, rows_done: bigRows, rows_total: bigRows });
    const { type, lines } = await download(task.result.output.url);
    expect(type).toMatch(/^text\/csv/);
    expect(lines[0]).toBe('row,label,p_setosa,p_versicolor,p_virginica');
    expect(lines.slice(1).map((line) => Number(line.split(',')[0]))).toEqual(Array.from({ length: bigRows }, (_, i) => i + 1));
    for (const line of lines.slice(1, 100)) expect(line).toMatch(/^\d+,(setosa|versicolor|virginica),[\d.e-]+,[\d.e-]+,[\d.e-]+$/);
    expect((await download(task.result.errors.url)).lines).toEqual(['row,error']);
    // The output is an object in storage, and no chunk file is left beside it.
    expect(existsSync(join(storage.dir, task.result.output.key))).toBe(true);
    expect(readdirSync(join(storage.dir, 'batches', task.task_id, 'chunks'))).toEqual([]);
    expect(new Set(await chunkWorkers(task.task_id)).size).toBe(2);
  }, 180_000);

  it('answers inline rows (as arrays or records) in JSON Lines, the same as /v1/predict does', async () => {
    const inline = [row(1), { sepal_length: 6.7, sepal_width: 3, petal_length: 5.2, petal_width: 2.3 }, row(2)];
    const task = await finishedBatch({ dataset: { inline }, output: 'jsonl' });
    const { type, lines } = await download(task.result.output.url);
    expect(type).toMatch(/^application\/jsonl/);
    const scored = lines.map((line) => JSON.parse(line) as { row: number; label: string; probabilities: Record<string, number> });
    expect(scored.map(({ row: n }) => n)).toEqual([1, 2, 3]);
    const single = await request(`${api.url}/v1/predict`, { body: { model: 'flowers', inputs: inline, cache: false, version: task.result.version } });
    const direct = (await waitForTask(api.url, single.body.task_id)).result as { predictions: { label: string; probabilities: Record<string, number> }[] };
    expect(scored.map(({ label }) => label)).toEqual(direct.predictions.map(({ label }) => label));
    for (const [i, { probabilities }] of scored.entries()) {
      for (const [name, p] of Object.entries(probabilities)) expect(p).toBeCloseTo(direct.predictions[i]!.probabilities[name]!, 5);
    }
  });

  it('lists the rows it could not score in the error file, with their row numbers and why', async () => {
    // The first row makes petal_width a text column, so the upload keeps the rows that are no numbers.
    await upload('patchy', 'sepal_length,sepal_width,petal_length,petal_width\n5.1,3.5,1.4,n/a\n6.7,3,5.2,2.3\n5,3.4,1.5,\n6.3,2.5,5,1.9\n');
    for (const output of ['csv', 'jsonl'] as const) {
      const task = await finishedBatch({ dataset: 'patchy', output });
      expect(task.result.request_counts).toEqual({ total: 4, completed: 2, failed: 2 });
      const errors = (await download(task.result.errors.url)).lines;
      const scored = (await download(task.result.output.url)).lines;
      if (output === 'csv') {
        expect(errors).toEqual(['row,error', '1,"column ""petal_width"": ""n/a"" is not a number"', '3,"column ""petal_width"": is empty"']);
        expect(scored.slice(1).map((line) => line.split(',')[0])).toEqual(['2', '4']);
      } else {
        expect(errors.map((line) => JSON.parse(line))).toEqual([
          { row: 1, error: 'column "petal_width": "n/a" is not a number' },
          { row: 3, error: 'column "petal_width": is empty' },
        ]);
        expect(scored.map((line) => JSON.parse(line).row)).toEqual([2, 4]);
      }
    }
  });

  it('refuses what it cannot score before queueing: unknown dataset, missing columns, bad inline rows', async () => {
    expect((await batch({ dataset: 'nothing-here' })).status).toBe(404);
    await upload('narrow', 'sepal_length,sepal_width\n1,2\n');
    const narrow = await batch({ dataset: 'narrow' });
    expect(narrow.status).toBe(400);
    expect(narrow.body.error.message).toMatch(/"petal_length", "petal_width"/);
    const bad = await batch({ dataset: { inline: [row(1), [1, 2]] } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues).toEqual([expect.objectContaining({ path: 'dataset.inline.1' })]);
    expect((await batch({ dataset: 'many', version: 1, alias: 'production' })).status).toBe(400);
  });

  it('stops when cancelled mid-way: REVOKED, no output, nothing of it left in storage', async () => {
    const taskId = (await batch({ dataset: 'many' })).body.task_id as string;
    await pollUntil(api.url, taskId, (task) => ((task.progress as { rows_done?: number } | null)?.rows_done ?? 0) > 0, 60_000);
    const cancel = await request(`${api.url}/v1/tasks/${taskId}/cancel`, { method: 'POST' });
    expect(cancel.status).toBe(202);
    const { task } = await pollUntil(api.url, taskId, (t) => t.status !== 'STARTED', 30_000);
    expect(task.status).toBe('REVOKED');
    expect(((task.progress as { rows_done: number }).rows_done)).toBeLessThan(bigRows);
    expect((await request(`${api.url}/v1/batch-predictions/${taskId}/output`)).status).toBe(409);
    // The batch waited for its chunks in flight before it cleared its files.
    const files = readdirSync(join(storage.dir, 'batches', taskId), { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile());
    expect(files).toEqual([]);
  }, 120_000);

  it('fails, saying why, when its dataset is uploaded again while it runs', async () => {
    const rows = csvOf(Array.from({ length: bigRows }, (_, n) => row(n)));
    await upload('changing', rows);
    const taskId = (await batch({ dataset: 'changing' })).body.task_id as string;
    await pollUntil(api.url, taskId, (task) => ((task.progress as { rows_done?: number } | null)?.rows_done ?? 0) > 0, 60_000);
    await upload('changing', rows.replaceAll('unknown', 'other'));
    const task = await waitForTask(api.url, taskId, ['SUCCESS', 'FAILURE', 'REVOKED'], 120_000);
    expect(task.status).toBe('FAILURE');
    expect(task.error).toEqual({ code: 'invalid_data', message: expect.stringContaining('changed while the batch ran') });
  }, 180_000);

  it('loses and duplicates nothing when the worker running it is SIGKILLed mid-way', async () => {
    const taskId = (await batch({ dataset: 'many' })).body.task_id as string;
    const { task: running } = await pollUntil(api.url, taskId, (task) => ((task.progress as { rows_done?: number } | null)?.rows_done ?? 0) > bigRows / 10, 120_000);
    const victim = workers.find((worker) => worker.child.pid === pidOf(running))!;
    await victim.stop('SIGKILL');
    workers.splice(workers.indexOf(victim), 1, await startWorker(workerEnv));

    const task = (await waitForTask(api.url, taskId, ['SUCCESS', 'FAILURE', 'REVOKED'], 180_000)) as TaskResource & { result: BatchPredictResult };
    expect(task.status).toBe('SUCCESS');
    expect(task.attempts).toBe(2);
    expect(task.result.request_counts).toEqual({ total: bigRows, completed: bigRows, failed: 0 });
    const { lines } = await download(task.result.output.url);
    expect(lines.slice(1).map((line) => Number(line.split(',')[0]))).toEqual(Array.from({ length: bigRows }, (_, i) => i + 1));
  }, 240_000);
});
