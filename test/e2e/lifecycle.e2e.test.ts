import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from '@trainyard/test-support/http';
import { startApi, startWorker, type RunningProcess } from '@trainyard/test-support/processes';
import { deletePrefix, testPrefix } from '@trainyard/test-support/redis';
import { inlineLine, pollUntil, submit, tempStorage, trainIris } from '@trainyard/test-support/stack';

const prefix = testPrefix('lifecycle');
const storage = tempStorage('lifecycle');
const env = { QUEUE_PREFIX: prefix, STORAGE_URL: storage.url };
let api: RunningProcess & { url: string };
let worker: RunningProcess | undefined;

beforeAll(async () => {
  api = await startApi({ ...env, TASK_ATTEMPTS: '3', TASK_BACKOFF_MS: '1000' });
});

afterAll(async () => {
  await Promise.all([api?.stop(), worker?.stop()]);
  await deletePrefix(prefix);
  storage.remove();
});

/**
 * A real storage fault for one model: a plain file where the model's folder must go makes every
 * artifact upload fail (ENOTDIR) until the file is removed.
 */
function blockModelFolder(model: string): () => void {
  const path = join(storage.dir, 'models', model);
  mkdirSync(join(storage.dir, 'models'), { recursive: true });
  writeFileSync(path, 'not a folder');
  return () => rmSync(path);
}

const finished = (task: { status: string }) => task.status === 'SUCCESS' || task.status === 'FAILURE';

describe('task lifecycle', () => {
  it('stays PENDING while no worker runs, then goes STARTED → SUCCESS', async () => {
    const taskId = await submit(api.url, '/v1/train', trainIris('lifecycle', { epochs: 120 }));
    // Waiting with a priority is another BullMQ state ("prioritized"), the same PENDING to a user.
    const urgent = await submit(api.url, '/v1/train', { ...trainIris('lifecycle', { epochs: 5 }), priority: 1 });
    await sleep(300);
    expect((await request(`${api.url}/v1/tasks/${urgent}`)).body).toMatchObject({ status: 'PENDING', attempts: 0 });
    const waiting = await request(`${api.url}/v1/tasks/${taskId}`);
    expect(waiting.status).toBe(200);
    expect(waiting.body).toMatchObject({
      task_id: taskId,
      type: 'train',
      status: 'PENDING',
      progress: null,
      result: null,
      error: null,
      attempts: 0,
      failures: [],
      worker: null,
      started_at: null,
      finished_at: null,
    });

    worker = await startWorker(env);
    const { task, seen } = await pollUntil(api.url, taskId, finished);
    expect(task.status).toBe('SUCCESS');
    const started = seen.find((t) => t.status === 'STARTED');
    expect(started).toBeDefined();
    expect(started!.started_at).not.toBeNull();
    expect(started!.finished_at).toBeNull();
    expect(task.worker).toMatch(new RegExp(`:${worker.child.pid}$`));
    expect(task).toMatchObject({ attempts: 1, error: null, failures: [] });
  });

  it('shows RETRY with the failed attempt’s reason, then SUCCESS once the fault is gone', async () => {
    const unblock = blockModelFolder('flaky');
    const taskId = await submit(api.url, '/v1/train', { model: 'flaky', algorithm: 'linear-regression', dataset: inlineLine, params: { epochs: 5 } });

    const { task: retrying } = await pollUntil(api.url, taskId, (t) => t.status !== 'PENDING' && t.status !== 'STARTED');
    expect(retrying.status).toBe('RETRY');
    expect(retrying.attempts).toBe(1);
    expect(retrying.error).toEqual({ code: 'internal', message: expect.stringMatching(/ENOTDIR|EEXIST/) });
    expect(retrying.failures).toEqual([{ attempt: 1, at: expect.any(String), ...retrying.error! }]);
    expect(retrying.result).toBeNull();

    unblock();
    const { task } = await pollUntil(api.url, taskId, finished);
    expect(task.status).toBe('SUCCESS');
    expect(task.attempts).toBe(2);
    expect(task.error).toBeNull();
    expect(task.failures).toEqual(retrying.failures);
    expect(task.result).toMatchObject({ model: 'flaky', version: 1 });
  });

  it('ends in FAILURE after the last attempt, with every attempt’s reason', async () => {
    blockModelFolder('doomed');
    const taskId = await submit(api.url, '/v1/train', { model: 'doomed', algorithm: 'linear-regression', dataset: inlineLine, params: { epochs: 5 } });

    const { task, seen } = await pollUntil(api.url, taskId, finished);
    expect(task.status).toBe('FAILURE');
    expect(seen.some((t) => t.status === 'RETRY')).toBe(true);
    expect(task.attempts).toBe(3);
    expect(task.failures.map((f) => [f.attempt, f.code])).toEqual([
      [1, 'internal'],
      [2, 'internal'],
      [3, 'internal'],
    ]);
    for (const failure of task.failures) expect(failure.message).toMatch(/ENOTDIR|EEXIST/);
    expect(task.error).toEqual({ code: 'internal', message: task.failures[2]!.message });
    expect(task.result).toBeNull();
    expect(task.finished_at).not.toBeNull();
    // Attempts are spaced by the exponential backoff: 1 s, then 2 s.
    const times = task.failures.map((f) => Date.parse(f.at));
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(950);
    expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(1_950);
  });
});
