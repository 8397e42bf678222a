import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultTenant } from '@trainyard/shared/platform';
import { FsObjectStore, storageKeys } from '@trainyard/shared/storage';
import { TaskEventLog, type TaskResource } from '@trainyard/shared/tasks';
import { request, waitForTask } from '@trainyard/test-support/http';
import { startApi, startWorker, type RunningProcess } from '@trainyard/test-support/processes';
import { deletePrefix, redisUrl, testPrefix } from '@trainyard/test-support/redis';

/**
 * Cancellation and deadlines against real processes: two API replicas and one training worker that
 * runs one task at a time, so a second task waits behind a running one.
 */

const prefix = testPrefix('cancel');
const storageDir = mkdtempSync(join(tmpdir(), 'ty-cancel-'));
// The slow trainings below are over the default cost caps on purpose.
const env = { QUEUE_PREFIX: prefix, STORAGE_URL: `file://${storageDir}`, TRAIN_MAX_EPOCHS: '5000', TRAIN_MIN_BATCH_SIZE: '1' };
const store = new FsObjectStore(storageDir);
let apiA: RunningProcess & { url: string };
let apiB: RunningProcess & { url: string };
let worker: RunningProcess;
let redis: Redis;
let events: TaskEventLog;

beforeAll(async () => {
  redis = new Redis(redisUrl);
  events = new TaskEventLog(redis, prefix, 3_600);
  [apiA, apiB, worker] = await Promise.all([
    startApi({ ...env, TRAIN_TIMEOUT_S: '300', TRAIN_TIMEOUT_MAX_S: '600', TRAIN_EXPIRES_MAX_S: '3600' }),
    startApi(env),
    startWorker({ ...env, WORKER_QUEUES: 'train', TRAIN_CONCURRENCY: '1' }),
  ]);
});

afterAll(async () => {
  await Promise.all([apiA?.stop(), apiB?.stop(), worker?.stop()]);
  redis?.disconnect();
  await deletePrefix(prefix);
  rmSync(storageDir, { recursive: true, force: true });
});

const iris = { name: 'iris', target: 'species' };
/**
 * Minutes of work if nobody stops it: one batch per row, thousands of epochs, no early stopping;
 * wide enough that an epoch takes about as long as the 250 ms between progress records.
 */
const slowTraining = (model: string, extra: object = {}) => ({
  model,
  algorithm: 'mlp',
  dataset: iris,
  params: { epochs: 5_000, batch_size: 1, hidden_units: [256, 256], seed: 1, patience: 0 },
  ...extra,
});
const quickTraining = (model: string, extra: object = {}) => ({
  model,
  algorithm: 'logistic-regression',
  dataset: iris,
  params: { epochs: 2, seed: 1 },
  ...extra,
});

async function submit(api: { url: string }, body: object): Promise<string> {
  const response = await request(`${api.url}/v1/train`, { body });
  expect(response.status, JSON.stringify(response.body)).toBe(202);
  return response.body.task_id as string;
}

const cancel = (api: { url: string }, taskId: string) =>
  request<TaskResource & { error: { code: string } }>(`${api.url}/v1/tasks/${taskId}/cancel`, { method: 'POST' });

async function read(taskId: string): Promise<TaskResource> {
  const response = await request<TaskResource>(`${apiA.url}/v1/tasks/${taskId}`);
  expect(response.status).toBe(200);
  return response.body;
}

/** Polls until the task reports progress at or past the given epoch. */
async function waitForEpoch(taskId: string, epoch: number): Promise<TaskResource> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const task = await read(taskId);
    if ((task.progress?.epoch ?? 0) >= epoch) return task;
    expect(task.status).toMatch(/PENDING|STARTED/);
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`task ${taskId} did not reach epoch ${epoch}`);
}

async function statusesLogged(taskId: string): Promise<string[]> {
  return (await events.read(taskId)).flatMap(({ event }) => (event.type === 'status' ? [event.status] : []));
}

async function storedFiles(model: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const object of store.list(storageKeys(defaultTenant).modelPrefix(model))) keys.push(object.key);
  return keys;
}

describe('POST /v1/tasks/{id}/cancel', () => {
  it('answers 404 for a task that does not exist', async () => {
    for (const id of [`train-${'0'.repeat(32)}`, `predict-${'f'.repeat(32)}`, 'not-a-task-id']) {
      const response = await cancel(apiA, id);
      expect(response.status).toBe(404);
      expect(response.body.error.code).toBe('not_found');
    }
  });

  it('refuses a finished task with 409 already_finished and leaves it as it was', async () => {
    const taskId = await submit(apiA, quickTraining('finished'));
    await waitForTask(apiA.url, taskId, ['SUCCESS']);
    const response = await cancel(apiB, taskId);
    expect(response.status).toBe(409);
    expect(response.body.error.code).toBe('already_finished');
    expect((await read(taskId)).status).toBe('SUCCESS');
  });

  it('stops a running training within about an epoch from another replica, leaving no model; a waiting task is revoked and never runs', async () => {
    const running = await submit(apiA, slowTraining('doomed'));
    await waitForEpoch(running, 2);
    const waiting = await submit(apiA, quickTraining('never'));
    expect((await read(waiting)).status).toBe('PENDING');

    // Waiting: removed from the queue and REVOKED at once; a second cancel changes nothing.
    const first = await cancel(apiA, waiting);
    expect(first.status).toBe(200);
    expect(first.body.status).toBe('REVOKED');
    const second = await cancel(apiB, waiting);
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ task_id: waiting, status: 'REVOKED' });

    // Running: cancelled through the replica that did not submit it, then again through the other.
    const before = await read(running);
    const cancelledAt = Date.now();
    const stopping = await cancel(apiB, running);
    expect(stopping.status).toBe(202);
    expect(stopping.body).toMatchObject({ task_id: running, status: 'STARTED' });
    const again = await cancel(apiA, running);
    expect([200, 202]).toContain(again.status);

    const stopped = await waitForTask(apiA.url, running, ['REVOKED', 'SUCCESS', 'FAILURE'], 10_000);
    const stopMs = Date.now() - cancelledAt;
    expect(stopped.status).toBe('REVOKED');
    expect(stopped.error).toBeNull();
    expect(stopped.finished_at).not.toBeNull();
    // The last progress recorded is at most an epoch or two (progress is throttled) past the cancel.
    expect(stopped.progress!.epoch - before.progress!.epoch).toBeLessThanOrEqual(3);
    expect(stopMs).toBeLessThan(3_000);
    console.log(`active training stopped ${stopMs} ms after the cancel request`);
    expect((await statusesLogged(running)).slice(-1)).toEqual(['REVOKED']);
    expect(await storedFiles('doomed')).toEqual([]);
    expect(await redis.hlen(`${prefix}:model:doomed:versions`)).toBe(0);

    // Cancelling a REVOKED task is harmless.
    const late = await cancel(apiB, running);
    expect(late.status).toBe(200);
    expect(late.body.status).toBe('REVOKED');

    // The worker is free again and runs what is queued now; the revoked task never ran.
    const next = await submit(apiA, quickTraining('after'));
    await waitForTask(apiA.url, next, ['SUCCESS']);
    const revoked = await read(waiting);
    expect(revoked).toMatchObject({ status: 'REVOKED', worker: null, started_at: null });
    expect(await statusesLogged(waiting)).toEqual(['REVOKED']);
    expect(await storedFiles('never')).toEqual([]);

    // Its job left the queue, but its request was kept: a retry runs it as a new task.
    const retry = await request<TaskResource>(`${apiB.url}/v1/tasks/${waiting}/retry`, { method: 'POST' });
    expect(retry.status).toBe(202);
    expect(retry.body).toMatchObject({ model: 'never', retry_of: waiting });
    expect(await waitForTask(apiA.url, retry.body.task_id, ['SUCCESS', 'FAILURE'])).toMatchObject({ status: 'SUCCESS', version: 1 });
    expect(await read(waiting)).toMatchObject({ status: 'REVOKED', retried_by: retry.body.task_id });
  });
});

describe('deadlines', () => {
  it('fails a training that outlives timeout_s with code timeout, without retrying, leaving no model', async () => {
    const submittedAt = Date.now();
    const taskId = await submit(apiA, slowTraining('late', { timeout_s: 1 }));
    const task = await waitForTask(apiA.url, taskId, ['SUCCESS', 'FAILURE', 'REVOKED'], 10_000);
    expect(task.status).toBe('FAILURE');
    expect(task.error?.code).toBe('timeout');
    expect(task.attempts).toBe(1);
    expect(Date.now() - submittedAt).toBeGreaterThanOrEqual(1_000);
    expect(await statusesLogged(taskId)).toEqual(['STARTED', 'FAILURE']);
    expect(await storedFiles('late')).toEqual([]);
  });

  it('expires a task that has not started by expires_s: EXPIRED while it waits, and it never runs', async () => {
    const blocker = await submit(apiA, slowTraining('blocker', { timeout_s: 2 }));
    await waitForTask(apiA.url, blocker, ['STARTED']);
    const stale = await submit(apiB, quickTraining('stale', { expires_s: 1 }));
    expect((await read(stale)).status).toBe('PENDING');

    const expired = await waitForTask(apiA.url, stale, ['EXPIRED', 'STARTED', 'SUCCESS'], 5_000);
    expect(expired.status).toBe('EXPIRED');
    expect(expired.finished_at).not.toBeNull();
    expect((await read(blocker)).status).toBe('STARTED');
    const refused = await cancel(apiA, stale);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('already_finished');

    // Once the blocker times out, the worker picks the stale task up and refuses to run it.
    expect((await waitForTask(apiA.url, blocker, ['FAILURE'], 10_000)).error?.code).toBe('timeout');
    const deadline = Date.now() + 5_000;
    while (!(await statusesLogged(stale)).includes('EXPIRED') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(await statusesLogged(stale)).toEqual(['EXPIRED']);
    expect((await read(stale)).status).toBe('EXPIRED');
    expect(await storedFiles('stale')).toEqual([]);

    // A retry is a new task with a new expiry: it runs now that the worker is free.
    const retry = await request<TaskResource>(`${apiB.url}/v1/tasks/${stale}/retry`, { method: 'POST' });
    expect(retry.status).toBe(202);
    expect(await waitForTask(apiA.url, retry.body.task_id, ['SUCCESS', 'FAILURE', 'EXPIRED'])).toMatchObject({ status: 'SUCCESS', retry_of: stale });
  });

  it('refuses deadlines above the configured maxima', async () => {
    const tooLong = await request(`${apiA.url}/v1/train`, { body: quickTraining('greedy', { timeout_s: 601 }) });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.error.issues).toEqual([{ path: 'timeout_s', message: 'must be at most 600' }]);
    const tooLate = await request(`${apiA.url}/v1/train`, { body: quickTraining('greedy', { expires_s: 3_601 }) });
    expect(tooLate.status).toBe(400);
    expect(tooLate.body.error.issues).toEqual([{ path: 'expires_s', message: 'must be at most 3600' }]);
    const zero = await request(`${apiA.url}/v1/train`, { body: quickTraining('greedy', { timeout_s: 0 }) });
    expect(zero.status).toBe(400);
  });
});
