import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { request, waitForTask } from '@trainyard/test-support/http';
import { startApi, type RunningProcess } from '@trainyard/test-support/processes';
import { deletePrefix, redisUrl, testPrefix } from '@trainyard/test-support/redis';

/** `npm run worker -- --replicas N` runs N independent worker processes and stops them all on SIGTERM. */

const root = resolve(import.meta.dirname, '../../..');
const prefix = testPrefix('replicas');
const storageDir = mkdtempSync(join(tmpdir(), 'ty-replicas-'));
const env = { QUEUE_PREFIX: prefix, STORAGE_URL: `file://${storageDir}` };
let api: RunningProcess & { url: string };
let launcher: ChildProcess;
let exited: Promise<[code: number | null, signal: NodeJS.Signals | null]>;
/** The "hostname:pid" of each replica, from its ready line. */
const ready: string[] = [];

beforeAll(async () => {
  // The launcher script itself, as `npm run worker` runs it after building.
  launcher = spawn(process.execPath, ['scripts/workers.js', '--replicas', '2'], {
    cwd: root,
    env: { PATH: process.env.PATH, REDIS_URL: redisUrl, LOG_LEVEL: 'info', WORKER_QUEUES: 'train', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  exited = once(launcher, 'exit') as typeof exited;
  const allReady = new Promise<void>((resolve) => {
    for (const stream of [launcher.stdout!, launcher.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => {
        if (!/worker ready/.test(line)) return;
        ready.push((JSON.parse(line) as { worker: string }).worker);
        if (ready.length === 2) resolve();
      });
    }
  });
  const failed = exited.then(([code]) => Promise.reject(new Error(`the launcher exited with ${code}`)));
  [api] = await Promise.all([startApi(env), Promise.race([allReady, failed])]);
});

afterAll(async () => {
  if (launcher && launcher.exitCode === null && launcher.signalCode === null) launcher.kill('SIGKILL');
  await api?.stop();
  await deletePrefix(prefix);
  rmSync(storageDir, { recursive: true, force: true });
});

const pidOf = (worker: string) => Number(worker.split(':').at(-1));

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

it('runs two worker processes that share the queue, and stops both cleanly on SIGTERM', async () => {
  expect(new Set(ready).size).toBe(2);
  const pids = ready.map(pidOf);
  expect(pids.every(isRunning)).toBe(true);

  // Each replica trains one task at a time, so four trainings submitted together spread over both.
  const body = (i: number) => ({ model: `spread-${i}`, algorithm: 'mlp', dataset: { name: 'iris', target: 'species' }, params: { epochs: 3, batch_size: 8, seed: i } });
  const taskIds: string[] = [];
  for (let i = 0; i < 4; i++) taskIds.push((await request(`${api.url}/v1/train`, { body: body(i) })).body.task_id);
  const done = await Promise.all(taskIds.map((id) => waitForTask(api.url, id, ['SUCCESS', 'FAILURE'], 60_000)));
  expect(done.map((task) => task.status)).toEqual(['SUCCESS', 'SUCCESS', 'SUCCESS', 'SUCCESS']);
  expect(new Set(done.map((task) => task.worker))).toEqual(new Set(ready));

  const stoppingAt = Date.now();
  launcher.kill('SIGTERM');
  const [code, signal] = await exited;
  console.log(`both replicas stopped ${Date.now() - stoppingAt} ms after SIGTERM`);
  expect({ code, signal }).toEqual({ code: 0, signal: null });
  expect(pids.some(isRunning)).toBe(false);
});
