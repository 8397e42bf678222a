import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TaskEventLog } from '@trainyard/shared/tasks';
import { createKey } from '@trainyard/test-support/auth';
import { request, waitForTask } from '@trainyard/test-support/http';
import { startApi, startWorker, type RunningProcess } from '@trainyard/test-support/processes';
import { deletePrefix, redisUrl, testPrefix } from '@trainyard/test-support/redis';

/**
 * Fairness between tenants on one training slot: BullMQ's open-source edition has no groups, so a
 * task's priority is its round in its tenant's backlog (unfinished tasks on the queue, plus one)
 * before its own priority. A tenant with 500 trainings queued delays another tenant's first only by
 * the training already running.
 */

const prefix = testPrefix('fairness');
const storageDir = mkdtempSync(join(tmpdir(), 'ty-fairness-'));
const env = { QUEUE_PREFIX: prefix, STORAGE_URL: `file://${storageDir}` };
const redis = new Redis(redisUrl);
const trainQueue = new Queue('train', { connection: redis, prefix });
const events = new TaskEventLog(redis, prefix, 600);
let api: RunningProcess & { url: string };
let worker: RunningProcess | undefined;
const keys = { acme: '', globex: '' };

beforeAll(async () => {
  // The hog is over the default cost caps on purpose; acme queues 500 trainings at once.
  api = await startApi({ ...env, TENANT_MAX_TASKS: '1000', RATE_LIMIT_SUBMITS: '2000', TRAIN_MAX_EPOCHS: '5000', TRAIN_MIN_BATCH_SIZE: '1' });
  keys.acme = (await createKey(api.url, { tenant: 'acme' })).key;
  keys.globex = (await createKey(api.url, { tenant: 'globex' })).key;
});

afterAll(async () => {
  await Promise.all([api?.stop(), worker?.stop()]);
  await trainQueue.close();
  redis.disconnect();
  await deletePrefix(prefix);
  rmSync(storageDir, { recursive: true, force: true });
});

/** Trains in well under a second. */
const quick = (model: string) => ({ model, algorithm: 'linear-regression', dataset: { inline: { features: [[0], [1], [2], [3]], labels: [1, 3, 5, 7] } }, params: { epochs: 1 } });
/** Minutes on the training slot unless cancelled. */
const hog = { model: 'hog', algorithm: 'mlp', dataset: { name: 'iris', target: 'species' }, params: { epochs: 5_000, batch_size: 1, hidden_units: [32] } };

async function submit(tenant: keyof typeof keys, body: object): Promise<string> {
  const response = await request(`${api.url}/v1/train`, { body, key: keys[tenant] });
  expect(response.status, JSON.stringify(response.body)).toBe(202);
  return response.body.task_id;
}

const cancel = (tenant: keyof typeof keys, taskId: string) => request(`${api.url}/v1/tasks/${taskId}/cancel`, { method: 'POST', key: keys[tenant] });

async function startedAt(taskId: string): Promise<string | null> {
  const started = (await events.read(taskId)).find(({ event }) => event.type === 'status' && event.status === 'STARTED');
  return started ? started.event.at : null;
}

describe('fair priorities', () => {
  it('interleave two tenants’ queued tasks round by round, first come first within a round', async () => {
    const a = [await submit('acme', quick('a1')), await submit('acme', quick('a2')), await submit('acme', quick('a3'))];
    const g = [await submit('globex', quick('g1')), await submit('globex', quick('g2'))];
    const order = (await trainQueue.getPrioritized()).map((job) => job.id);
    expect(order).toEqual([a[0], g[0], a[1], g[1], a[2]]);
    const priorities = await Promise.all([...a, ...g].map(async (id) => (await trainQueue.getJob(id))!.opts.priority));
    expect(priorities).toEqual([150, 250, 350, 150, 250]);
    for (const id of a) expect((await cancel('acme', id)).status).toBe(200);
    for (const id of g) expect((await cancel('globex', id)).status).toBe(200);
  });

  it('let another tenant’s first training start right after the one running, ahead of 500 queued', async () => {
    worker = await startWorker({ ...env, WORKER_QUEUES: 'train', TRAIN_CONCURRENCY: '1', SHUTDOWN_TIMEOUT_S: '0' });
    const running = await submit('acme', hog);
    await waitForTask(api.url, running, ['STARTED'], 60_000, keys.acme);

    const queued: string[] = [];
    for (let batch = 0; batch < 10; batch++) {
      queued.push(...(await Promise.all(Array.from({ length: 50 }, (_, i) => submit('acme', quick(`a${batch * 50 + i}`))))));
    }
    const first = await submit('globex', quick('first'));
    // acme's running hog counts: its queued tasks are in round 2 and later, globex's first in round 1.
    expect((await trainQueue.getJob(first))!.opts.priority).toBe(150);
    expect(Math.min(...(await Promise.all(queued.map(async (id) => (await trainQueue.getJob(id))!.opts.priority!))))).toBe(250);

    const stopped = await cancel('acme', running);
    expect(stopped.status, JSON.stringify(stopped.body)).toBe(202);
    const done = await waitForTask(api.url, first, ['SUCCESS', 'FAILURE'], 60_000, keys.globex);
    expect(done.status).toBe('SUCCESS');
    await worker.stop();

    const firstStarted = (await startedAt(first))!;
    const aheadOfIt = (await Promise.all(queued.map(startedAt))).filter((at) => at !== null && at < firstStarted);
    console.info(`globex's first training started ${Date.parse(firstStarted) - Date.parse((await startedAt(running))!)} ms after acme's running one; acme's queued trainings started before it: ${aheadOfIt.length} of ${queued.length}`);
    expect(aheadOfIt).toEqual([]);
  });
});
