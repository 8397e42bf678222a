import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TaskResource } from '@trainyard/shared/tasks';
import { startApi, startWorker, type RunningProcess } from '@trainyard/test-support/processes';
import { deletePrefix, testPrefix } from '@trainyard/test-support/redis';
import { pollUntil, statusEvents, submit, tempStorage, trainIris, trainIrisNetwork } from '@trainyard/test-support/stack';

const prefix = testPrefix('recovery');
const storage = tempStorage('recovery');
// Short locks, so a dead worker's task is taken over within seconds; trainings last longer than a lock.
const env = {
  QUEUE_PREFIX: prefix,
  STORAGE_URL: storage.url,
  WORKER_QUEUES: 'train',
  WORKER_LOCK_MS: '1000',
  WORKER_STALLED_INTERVAL_MS: '1000',
};
let api: RunningProcess & { url: string };
const workers: RunningProcess[] = [];

async function worker(extra: Record<string, string> = {}): Promise<RunningProcess> {
  const started = await startWorker({ ...env, ...extra });
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
 * A few seconds of training on an idle machine (small batches: many steps per epoch); much longer
 * on a busy one, hence the generous timeouts.
 */
const longTraining = (model: string, epochs = 200) => trainIrisNetwork(model, { epochs, batch_size: 4 });
const slow = 120_000;
const finished = (task: TaskResource) => task.status === 'SUCCESS' || task.status === 'FAILURE';
/** Mid-training: a few epochs done, most still to come. */
const midTraining = (task: TaskResource) => task.status === 'STARTED' && (task.progress?.epoch ?? 0) >= 10;
const pidOf = (task: TaskResource) => Number(task.worker?.split(':').at(-1));
const versionsOf = (model: string) => readdirSync(join(storage.dir, 'models', model));

describe('a worker killed with SIGKILL mid-training', () => {
  it('loses nothing: the task is recovered and succeeds on another worker', async () => {
    const first = await worker();
    const taskId = await submit(api.url, '/v1/train', longTraining('killed'));
    const { task: running } = await pollUntil(api.url, taskId, midTraining);
    expect(pidOf(running)).toBe(first.child.pid);
    await first.stop('SIGKILL');

    const second = await worker();
    const { task } = await pollUntil(api.url, taskId, finished, slow);
    expect(task.status).toBe('SUCCESS');
    expect(pidOf(task)).toBe(second.child.pid);
    expect(task.result).toMatchObject({ model: 'killed', version: 1 });
    expect(task.failures).toEqual([]);
    expect(versionsOf('killed')).toEqual(['1']);
    // The run after the kill is attempt 2: the history lists each attempt once, as `attempts` counts them.
    expect(task.attempts).toBe(2);
    expect(task.history.map(({ status, attempt }) => `${status} ${attempt}`)).toEqual(['STARTED 1', 'STARTED 2', 'SUCCESS 2']);
  }, 2 * slow);
});

describe('a training longer than the lock', () => {
  it('is not picked up twice while two workers run', async () => {
    await worker();
    expect(workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null)).toHaveLength(2);
    const taskId = await submit(api.url, '/v1/train', longTraining('long', 250));
    const { task } = await pollUntil(api.url, taskId, finished, slow);
    expect(task.status).toBe('SUCCESS');
    // At least twice the lock: BullMQ renewed it while the thread trained.
    expect((task.result as { duration_ms: number }).duration_ms).toBeGreaterThan(2 * 1000);
    expect(task.attempts).toBe(1);
    expect((await statusEvents(prefix, taskId)).map((e) => e.status)).toEqual(['STARTED', 'SUCCESS']);
    expect(versionsOf('long')).toEqual(['1']);
  }, slow);
});

describe('graceful shutdown', () => {
  it('SIGTERM lets the running training finish, then the worker exits 0', async () => {
    const taskId = await submit(api.url, '/v1/train', longTraining('drained', 300));
    const { task: running } = await pollUntil(api.url, taskId, midTraining);
    const busy = workers.find((w) => w.child.pid === pidOf(running))!;
    const signalledAt = Date.now();
    expect(await busy.stop('SIGTERM')).toBe(0);
    const exitedAt = Date.now();

    const task = (await pollUntil(api.url, taskId, finished, slow)).task;
    expect(task.status).toBe('SUCCESS');
    expect(pidOf(task)).toBe(busy.child.pid);
    expect(task.attempts).toBe(1);
    // Finished after the signal, before the exit.
    expect(Date.parse(task.finished_at!)).toBeGreaterThan(signalledAt);
    expect(Date.parse(task.finished_at!)).toBeLessThanOrEqual(exitedAt);
  }, slow);

  it('with a short SHUTDOWN_TIMEOUT_S it exits 0 in time and another worker finishes the task', async () => {
    // Leave the queue to a worker that waits only 1 s for its tasks.
    await Promise.all(workers.map((w) => w.stop()));
    const impatient = await worker({ SHUTDOWN_TIMEOUT_S: '1' });
    const taskId = await submit(api.url, '/v1/train', longTraining('handed-over', 300));
    const { task: running } = await pollUntil(api.url, taskId, midTraining);
    expect(pidOf(running)).toBe(impatient.child.pid);

    const signalledAt = Date.now();
    expect(await impatient.stop('SIGTERM')).toBe(0);
    // 1 s of waiting plus closing connections; the training itself had seconds left to run.
    expect(Date.now() - signalledAt).toBeLessThan(6_000);

    const successor = await worker();
    const { task, seen } = await pollUntil(api.url, taskId, finished, slow);
    expect(task.status).toBe('SUCCESS');
    expect(pidOf(task)).toBe(successor.child.pid);
    expect(seen.some((t) => t.status === 'FAILURE' || t.status === 'RETRY')).toBe(false);
    // Interrupted by a shutdown is not a failed attempt.
    expect(task.failures).toEqual([]);
    expect(versionsOf('handed-over')).toEqual(['1']);
  }, 2 * slow);
});
