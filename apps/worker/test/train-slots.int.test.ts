import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { chooseShard } from '@trainyard/shared/jobs';
import { shardPrefix } from '@trainyard/shared/platform';
import { taskShardOf, type TaskResource } from '@trainyard/shared/tasks';
import { request, waitForTask } from '@trainyard/test-support/http';
import { startApi, startWorker, type RunningProcess } from '@trainyard/test-support/processes';
import { deletePrefix, redisUrl, testPrefix } from '@trainyard/test-support/redis';
import { pollUntil, submit, tempStorage, trainIrisNetwork } from '@trainyard/test-support/stack';

/**
 * With QUEUE_SHARDS=2 a worker process has a train worker per shard, yet it holds no more trainings
 * than TRAIN_CONCURRENCY across them: a training on the other shard stays waiting in its queue, for
 * another replica to take, and a draining worker does not take it either.
 */

const prefix = testPrefix('trainslots');
const storage = tempStorage('trainslots');
const env = { QUEUE_PREFIX: prefix, STORAGE_URL: storage.url, QUEUE_SHARDS: '2', TRAIN_CONCURRENCY: '1', WORKER_QUEUES: 'train', SHUTDOWN_TIMEOUT_S: '30' };
const redis = new Redis(redisUrl);
const queues = [0, 1].map((shard) => new Queue('train', { connection: redis, prefix: shardPrefix(prefix, shard) }));
const processes: RunningProcess[] = [];
let api: RunningProcess & { url: string };
let first: { process: RunningProcess; name: string };

async function worker(): Promise<{ process: RunningProcess; name: string }> {
  const process = await startWorker(env);
  processes.push(process);
  const { worker: name } = JSON.parse(await process.waitForLine(/worker ready/)) as { worker: string };
  return { process, name };
}

beforeAll(async () => {
  [api, first] = await Promise.all([startApi(env), worker()]);
  processes.push(api);
});

afterAll(async () => {
  await Promise.all(processes.map((process) => process.stop()));
  await Promise.all(queues.map((queue) => queue.close()));
  redis.disconnect();
  await deletePrefix(prefix);
  storage.remove();
});

/** A model name of tenant "default" (the test key's) whose trainings go to the shard. */
const modelOn = (shard: number, stem: string) => {
  for (let i = 0; ; i++) if (chooseShard('train', 2, 'default', `${stem}-${i}`) === shard) return `${stem}-${i}`;
};
/** A network that trains for minutes: it runs until cancelled. */
const longTraining = (model: string) => trainIrisNetwork(model, { epochs: 1_000, batch_size: 4, hidden_units: [64] });
const stateOf = (taskId: string) => queues[taskShardOf(taskId)]!.getJobState(taskId);
const epochOf = async (taskId: string) => (await request<TaskResource>(`${api.url}/v1/tasks/${taskId}`)).body.progress?.epoch ?? 0;

/** Starts a long training on the shard and waits until it runs. */
async function running(shard: number, stem: string): Promise<string> {
  const taskId = await submit(api.url, '/v1/train', longTraining(modelOn(shard, stem)));
  expect(taskShardOf(taskId)).toBe(shard);
  await pollUntil(api.url, taskId, (task) => task.status === 'STARTED' && (task.progress?.epoch ?? 0) >= 1, 60_000);
  return taskId;
}

/**
 * Watches both trainings' jobs while the running one runs three more epochs (a worker that takes
 * every job it can has taken the other one long before): the other stays waiting all along.
 */
async function staysWaiting(runningId: string, waitingId: string): Promise<void> {
  const until = (await epochOf(runningId)) + 3;
  const deadline = Date.now() + 60_000;
  while ((await epochOf(runningId)) < until) {
    expect(await stateOf(runningId)).toBe('active');
    expect(await stateOf(waitingId)).toMatch(/^(wait|prioritized)$/);
    expect(Date.now()).toBeLessThan(deadline);
    await new Promise((r) => setTimeout(r, 25));
  }
}

it('takes one training at a time across its shards, leaving the other to an idle replica', async () => {
  const long = await running(0, 'long');
  const other = await submit(api.url, '/v1/train', trainIrisNetwork(modelOn(1, 'other'), { epochs: 20 }));
  expect(taskShardOf(other)).toBe(1);
  await staysWaiting(long, other);

  const second = await worker();
  const done = await waitForTask(api.url, other, ['SUCCESS', 'FAILURE'], 90_000);
  expect(done).toMatchObject({ status: 'SUCCESS', worker: second.name });
  expect(done.history.filter((entry) => entry.status === 'STARTED').map((entry) => entry.worker)).toEqual([second.name]);
  // The long one still runs where it started.
  expect((await request<TaskResource>(`${api.url}/v1/tasks/${long}`)).body).toMatchObject({ status: 'STARTED', worker: first.name });

  expect((await request(`${api.url}/v1/tasks/${long}/cancel`, { method: 'POST' })).status).toBe(202);
  expect((await waitForTask(api.url, long, ['REVOKED'], 30_000)).status).toBe('REVOKED');
  await second.process.stop();
}, 240_000);

it('drains without taking the waiting training, and without hanging on the shard worker waiting for a slot', async () => {
  const long = await running(1, 'draining');
  const waiting = await submit(api.url, '/v1/train', trainIrisNetwork(modelOn(0, 'left'), { epochs: 20 }));
  expect(taskShardOf(waiting)).toBe(0);
  await staysWaiting(long, waiting);

  const exited = first.process.stop();
  await first.process.waitForLine(/draining/);
  // The training ends (cancelled), its slot frees while the worker drains: nobody takes it.
  expect((await request(`${api.url}/v1/tasks/${long}/cancel`, { method: 'POST' })).status).toBe(202);
  expect(await exited).toBe(0);
  expect(first.process.lines.some((line) => /stopped/.test(line))).toBe(true);
  expect(first.process.lines.filter((line) => /did not finish in time/.test(line))).toEqual([]);
  expect(await stateOf(waiting)).toMatch(/^(wait|prioritized)$/);

  const next = await worker();
  expect(await waitForTask(api.url, waiting, ['SUCCESS', 'FAILURE'], 90_000)).toMatchObject({ status: 'SUCCESS', worker: next.name });
}, 240_000);
