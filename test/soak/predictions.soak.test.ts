import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TaskResource } from '@trainyard/shared/tasks';
import { request, waitForTask } from '@trainyard/test-support/http';
import { startApi, startWorker, type RunningProcess } from '@trainyard/test-support/processes';
import { PrivateRedis } from '@trainyard/test-support/redis-server';
import { submit, tempStorage, trainIris } from '@trainyard/test-support/stack';

/**
 * Every task id the API hands out is accounted for: 20,000 predictions through two API replicas,
 * some rows repeated (answered from the cache, or sharing a job in flight), while the predict
 * workers are restarted underneath them (SIGKILL and SIGTERM). Each id must end SUCCESS, or in a
 * final failure that says why; none may answer 404. On a redis-server of its own, so the shared
 * Redis carries none of it.
 */

const predictions = 20_000;
const inFlight = 32;
/** Roughly one request in five asks again for a row asked for shortly before. */
const repeatEvery = 5;
/** After this many submissions, one predict worker is replaced: killed, then stopped gracefully, in turn. */
const restartEvery = 4_000;

let redis: PrivateRedis;
const storage = tempStorage('soak');
const apis: (RunningProcess & { url: string })[] = [];
const workers = new Set<RunningProcess>();
const restarts: Promise<void>[] = [];

const env = () => ({
  REDIS_URL: redis.url,
  QUEUE_PREFIX: 'soak',
  STORAGE_URL: storage.url,
  // Every id of the run must stay readable: retention by count would prune the first ones.
  TASK_RETENTION_COUNT: String(10 * predictions),
  // One key submits the whole run as fast as it can: limits that never refuse it.
  RATE_LIMIT_SUBMITS: String(100 * predictions),
  RATE_LIMIT_READS: String(100 * predictions),
  TENANT_MAX_TASKS: String(10 * predictions),
});

async function predictWorker(): Promise<RunningProcess> {
  // Short locks: a killed worker's tasks are taken over within seconds.
  const worker = await startWorker({ ...env(), WORKER_QUEUES: 'predict', WORKER_LOCK_MS: '1000', WORKER_STALLED_INTERVAL_MS: '1000', SHUTDOWN_TIMEOUT_S: '5' });
  workers.add(worker);
  return worker;
}

/** Replaces the oldest predict worker without waiting: the submissions go on meanwhile. */
function replaceWorker(signal: NodeJS.Signals): void {
  const [oldest] = workers;
  if (!oldest) return;
  workers.delete(oldest);
  restarts.push(Promise.all([oldest.stop(signal), predictWorker()]).then(() => {}));
}

beforeAll(async () => {
  redis = await PrivateRedis.start();
  apis.push(...(await Promise.all([startApi(env()), startApi(env())])));
  const trainer = await startWorker({ ...env(), WORKER_QUEUES: 'train' });
  try {
    const trained = await waitForTask(apis[0]!.url, await submit(apis[0]!.url, '/v1/train', trainIris('soak', { epochs: 5 })));
    expect(trained.status).toBe('SUCCESS');
  } finally {
    await trainer.stop();
  }
  await Promise.all([predictWorker(), predictWorker()]);
});

afterAll(async () => {
  await Promise.all(restarts);
  await Promise.all([...apis, ...workers].map((process) => process.stop('SIGKILL')));
  await redis?.stop();
  storage.remove();
});

/** Runs `work` for 0 … count-1 with `concurrency` at a time. */
async function inParallel(count: number, concurrency: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < count) await work(next++);
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
}

describe('20,000 predictions while workers restart', () => {
  it('accounts for every task id handed out: SUCCESS or a final failure with a reason, never 404', async () => {
    const started = Date.now();
    const rows: number[][] = [];
    const ids: string[] = new Array(predictions);
    let cached = 0;
    await inParallel(predictions, inFlight, async (i) => {
      const row = i % repeatEvery === 0 && rows.length ? rows[rows.length - 1 - (i % Math.min(rows.length, 500))]! : [4 + i / 10_000, 3, 1.5, 0.2];
      rows.push(row);
      const answer = await request<TaskResource>(`${apis[i % 2]!.url}/v1/predict`, { body: { model: 'soak', inputs: [row] } });
      expect([200, 202]).toContain(answer.status);
      if (answer.status === 200) cached++;
      ids[i] = answer.body.task_id;
      if (i > 0 && i % restartEvery === 0) replaceWorker((i / restartEvery) % 2 ? 'SIGKILL' : 'SIGTERM');
    });
    const submittedAt = Date.now();

    // Each id read back on the other replica, waiting for it to finish.
    const outcomes = new Map<string, number>();
    const unaccounted: string[] = [];
    await inParallel(predictions, inFlight, async (i) => {
      const answer = await request<TaskResource>(`${apis[(i + 1) % 2]!.url}/v1/tasks/${ids[i]}?wait=60`);
      const task = answer.body;
      const accounted =
        answer.status === 200 &&
        (task.status === 'SUCCESS'
          ? (task.result as { predictions?: unknown[] }).predictions?.length === 1
          : ['FAILURE', 'REVOKED', 'EXPIRED'].includes(task.status) && Boolean(task.error?.code && task.error.message));
      if (!accounted) unaccounted.push(`${ids[i]}: ${answer.status} ${JSON.stringify(task).slice(0, 300)}`);
      const outcome = answer.status === 200 ? task.status : String(answer.status);
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    });
    await Promise.all(restarts);

    console.log(
      `soak: ${predictions} ids (${cached} answered from the cache) submitted in ${((submittedAt - started) / 1000).toFixed(1)} s, ` +
        `all read back after ${((Date.now() - started) / 1000).toFixed(1)} s; outcomes ${JSON.stringify(Object.fromEntries(outcomes))}`,
    );
    expect(unaccounted).toEqual([]);
    expect(cached).toBeGreaterThan(0);
  }, 600_000);
});
