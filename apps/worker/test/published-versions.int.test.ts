import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultTenant } from '@trainyard/shared/platform';
import { storageKeys } from '@trainyard/shared/storage';
import { request, waitForTask } from '@trainyard/test-support/http';
import { startApi, startWorker, type RunningProcess } from '@trainyard/test-support/processes';
import { deletePrefix, redisUrl, testPrefix } from '@trainyard/test-support/redis';
import { tempStorage, trainIris } from '@trainyard/test-support/stack';

/**
 * A published version never changes: re-running a finished training's job (what Bull Board's retry
 * does) answers with the version it made and writes nothing; once that version is deleted, a rerun
 * makes a new one instead of bringing the deleted one back.
 */

const prefix = testPrefix('versions');
const storage = tempStorage('versions');
const queue = new Queue('train', { connection: { url: redisUrl }, prefix });
let api: RunningProcess & { url: string };
let worker: RunningProcess;

beforeAll(async () => {
  const env = { QUEUE_PREFIX: prefix, STORAGE_URL: storage.url };
  [api, worker] = await Promise.all([startApi(env), startWorker({ ...env, WORKER_QUEUES: 'train' })]);
});

afterAll(async () => {
  await Promise.all([api?.stop(), worker?.stop()]);
  await queue.close();
  await deletePrefix(prefix);
  storage.remove();
});

const keys = storageKeys(defaultTenant);
const weightsHash = (version: number) => createHash('sha256').update(readFileSync(join(storage.dir, keys.modelFile('rerun', version, 'weights.bin')))).digest('hex');

/** Runs a finished job again, as Bull Board's retry does, and waits until it has finished again. */
async function rerun(taskId: string): Promise<{ version: number }> {
  const job = (await queue.getJob(taskId))!;
  const finishedBefore = job.finishedOn!;
  await job.retry('completed');
  const finishedAgain = async () => {
    const again = await queue.getJob(taskId);
    return (await again?.getState()) === 'completed' && again!.finishedOn! > finishedBefore;
  };
  await expect.poll(finishedAgain, { timeout: 60_000, interval: 100 }).toBe(true);
  return (await queue.getJob(taskId))!.returnvalue as { version: number };
}

describe('a published version', () => {
  it('keeps its weights when its training runs again, and a deleted one is never made again', async () => {
    // No seed: each run of the training would make other weights, so a rewrite would show.
    const submitted = await request(`${api.url}/v1/train`, { body: trainIris('rerun', { epochs: 20, seed: undefined }) });
    const taskId = submitted.body.task_id as string;
    expect((await waitForTask(api.url, taskId)).result).toMatchObject({ version: 1 });
    const published = weightsHash(1);
    const metadata = readFileSync(join(storage.dir, keys.modelFile('rerun', 1, 'metadata.json')), 'utf8');

    expect(await rerun(taskId)).toMatchObject({ version: 1 });
    expect(weightsHash(1)).toBe(published);
    expect(readFileSync(join(storage.dir, keys.modelFile('rerun', 1, 'metadata.json')), 'utf8')).toBe(metadata);
    expect((await request(`${api.url}/v1/models/rerun`)).body.versions.map((v: { version: number }) => v.version)).toEqual([1]);

    expect((await request(`${api.url}/v1/models/rerun/versions/1`, { method: 'DELETE' })).status).toBe(204);
    expect(await rerun(taskId)).toMatchObject({ version: 2 });
    expect((await request(`${api.url}/v1/models/rerun`)).body.versions.map((v: { version: number }) => v.version)).toEqual([2]);
    expect((await request(`${api.url}/v1/models/rerun/versions/1`)).status).toBe(404);
  });
});
