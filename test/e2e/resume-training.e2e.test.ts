import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TaskResource } from '@trainyard/shared/tasks';
import { startApi, startWorker, type RunningProcess } from '@trainyard/test-support/processes';
import { deletePrefix, testPrefix } from '@trainyard/test-support/redis';
import { request } from '@trainyard/test-support/http';
import { pollUntil, submit, tempStorage } from '@trainyard/test-support/stack';

const prefix = testPrefix('resume');
const storage = tempStorage('resume');
// Short locks, so a dead worker's task is taken over within seconds; a checkpoint every second.
const env = {
  QUEUE_PREFIX: prefix,
  STORAGE_URL: storage.url,
  WORKER_QUEUES: 'train',
  WORKER_LOCK_MS: '1000',
  WORKER_STALLED_INTERVAL_MS: '1000',
  CHECKPOINT_INTERVAL_S: '1',
};
let api: RunningProcess & { url: string };
const workers: RunningProcess[] = [];

async function worker(): Promise<RunningProcess> {
  const started = await startWorker(env);
  workers.push(started);
  return started;
}

beforeAll(async () => {
  api = await startApi({ QUEUE_PREFIX: prefix, STORAGE_URL: storage.url });
});

afterAll(async () => {
  await Promise.all([api?.stop(), ...workers.map((w) => w.stop('SIGKILL'))]);
  await deletePrefix(prefix);
  storage.remove();
});

/**
 * A seeded MLP on the built-in synthetic housing sample that lasts seconds (small batches, every
 * epoch run), with a validation split and the refit on every row.
 */
const training = (model: string) => ({
  model,
  algorithm: 'mlp',
  dataset: { name: 'housing', target: 'price_k' },
  params: { epochs: 80, batch_size: 8, hidden_units: [16], patience: 0, seed: 21 },
});
const slow = 240_000;
const finished = (task: TaskResource) => task.status === 'SUCCESS' || task.status === 'FAILURE';
const checkpointOf = (taskId: string) => join(storage.dir, 'checkpoints', `${taskId}.ckpt`);
const pidOf = (task: TaskResource) => Number(task.worker?.split(':').at(-1));
/** What the registry keeps of a version: its record (loss curve included) and its weights' bytes. */
function versionOf(model: string) {
  const dir = join(storage.dir, 'models', model, '1');
  const { metrics, validation, training: fitted, loss_curve: lossCurve } = JSON.parse(readFileSync(join(dir, 'metadata.json'), 'utf8'));
  return { metrics, validation, training: fitted, lossCurve, weights: readFileSync(join(dir, 'weights.bin')).toString('base64') };
}

describe('a training whose worker is killed with SIGKILL after a checkpoint', () => {
  it('resumes from the checkpoint on the next worker and ends exactly as an uninterrupted run', async () => {
    const first = await worker();
    const taskId = await submit(api.url, '/v1/train', training('resumed'));
    // The event to wait for is the checkpoint object itself (the first one is at least a second in).
    const { task: running } = await pollUntil(api.url, taskId, (task) => task.status === 'STARTED' && existsSync(checkpointOf(taskId)), slow);
    expect(running.progress).not.toBeNull();
    expect(pidOf(running)).toBe(first.child.pid);
    await first.stop('SIGKILL');

    const second = await worker();
    const { task } = await pollUntil(api.url, taskId, finished, slow);
    expect(task.failures).toEqual([]);
    expect(task.status).toBe('SUCCESS');
    expect(pidOf(task)).toBe(second.child.pid);
    expect(task.attempts).toBe(2);
    expect(task.history.map(({ status, attempt }) => `${status} ${attempt}`)).toEqual(['STARTED 1', 'STARTED 2', 'SUCCESS 2']);
    // Attempt 2 went on after a finished epoch of the first attempt's, not from epoch 1.
    const resumedFrom = task.history[1]!.resumed_from!;
    expect(resumedFrom).toMatchObject({ phase: expect.stringMatching(/^(fit|refit)$/) });
    expect(resumedFrom.epoch).toBeGreaterThanOrEqual(1);
    expect(task.history[0]!.resumed_from).toBeUndefined();
    expect(task.progress).toMatchObject({ resumed_from: resumedFrom });
    expect(existsSync(checkpointOf(taskId))).toBe(false);

    // The same training, never interrupted: the same numbers and the same weights, to the bit.
    const wholeId = await submit(api.url, '/v1/train', training('whole'));
    const { task: whole } = await pollUntil(api.url, wholeId, finished, slow);
    expect(whole.status).toBe('SUCCESS');
    expect(whole.attempts).toBe(1);
    expect(whole.history.some((entry) => entry.resumed_from)).toBe(false);
    expect(existsSync(checkpointOf(wholeId))).toBe(false);
    const { metrics, validation, training: fitted } = whole.result as Record<string, unknown>;
    expect(task.result).toMatchObject({ metrics, validation, training: fitted });
    expect(versionOf('resumed')).toEqual(versionOf('whole'));
  }, 3 * slow);
});

describe('a training cancelled after a checkpoint', () => {
  it('ends REVOKED and its checkpoint is deleted with it', async () => {
    if (!workers.some((w) => w.child.exitCode === null && w.child.signalCode === null)) await worker();
    const taskId = await submit(api.url, '/v1/train', training('cancelled'));
    await pollUntil(api.url, taskId, (task) => task.status === 'STARTED' && existsSync(checkpointOf(taskId)), slow);
    expect((await request(`${api.url}/v1/tasks/${taskId}/cancel`, { method: 'POST' })).status).toBe(202);
    const { task } = await pollUntil(api.url, taskId, (t) => t.status === 'REVOKED', slow);
    expect(task.status).toBe('REVOKED');
    expect(existsSync(checkpointOf(taskId))).toBe(false);
  }, slow);
});
