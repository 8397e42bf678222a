import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import type { TaskResource } from '@trainyard/shared/tasks';
import { boardAuth } from '@trainyard/test-support/auth';
import { request } from '@trainyard/test-support/http';
import { startApi, startWorker, type RunningProcess } from '@trainyard/test-support/processes';
import { PrivateCluster } from '@trainyard/test-support/redis-cluster';
import { openSse } from '@trainyard/test-support/sse';
import { pollUntil, submit, tempStorage, trainIris, trainIrisNetwork } from '@trainyard/test-support/stack';

// The whole platform on a real Redis Cluster of three masters with a replica each: the apps get
// the cluster's URL and a prefix without a hash tag, and must put every key in one slot themselves.
const storage = tempStorage('cluster');
let cluster: PrivateCluster;
let api: RunningProcess & { url: string };
let otherApi: RunningProcess & { url: string };
let worker: RunningProcess;

beforeAll(async () => {
  cluster = await PrivateCluster.start();
  const env = { REDIS_URL: cluster.url, QUEUE_PREFIX: 'trainyard', STORAGE_URL: storage.url };
  [api, otherApi, worker] = await Promise.all([startApi(env), startApi(env), startWorker(env)]);
}, 90_000);

afterAll(async () => {
  await Promise.all([api?.stop(), otherApi?.stop(), worker?.stop()]);
  await cluster?.stop();
  storage.remove();
});

const finished = (task: TaskResource) => !['PENDING', 'STARTED', 'RETRY'].includes(task.status);
const setosa = [5.1, 3.5, 1.4, 0.2];

describe('on a Redis Cluster', () => {
  it('trains, and every key the platform wrote lives under the {trainyard} hash tag on one master', async () => {
    const taskId = await submit(api.url, '/v1/train', trainIris('iris'));
    const { task } = await pollUntil(otherApi.url, taskId, finished, 60_000);
    expect(task.status).toBe('SUCCESS');
    expect(task.result).toMatchObject({ model: 'iris', version: 1 });

    const home = await cluster.masterOf('{trainyard}');
    const byMaster = await Promise.all(
      (await masters()).map(async (port) => {
        const node = new Redis(port, '127.0.0.1');
        try {
          return { port, keys: await node.keys('*') };
        } finally {
          node.disconnect();
        }
      }),
    );
    const homeKeys = byMaster.find(({ port }) => port === home)!.keys;
    expect(homeKeys).toContain('{trainyard}:train:meta');
    expect(homeKeys.some((key) => key.includes(taskId))).toBe(true);
    expect(homeKeys.every((key) => key.startsWith('{trainyard}:'))).toBe(true);
    for (const { port, keys } of byMaster) if (port !== home) expect(keys).toEqual([]);
  });

  it('predicts, then answers the same rows from the cache with a finished task', async () => {
    const first = await request(`${api.url}/v1/predict`, { body: { model: 'iris', inputs: [setosa] } });
    expect(first.status).toBe(202);
    const { task } = await pollUntil(api.url, first.body.task_id, finished);
    expect(task.status).toBe('SUCCESS');
    expect(task.result).toMatchObject({ model: 'iris', version: 1, predictions: [{ label: 'setosa' }] });

    const again = await request(`${otherApi.url}/v1/predict`, { body: { model: 'iris', inputs: [setosa] } });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ status: 'SUCCESS', result: { cached: true, predictions: [{ label: 'setosa' }] } });
  });

  it('waits on a task with ?wait and streams a training live over Server-Sent Events', async () => {
    const quick = await submit(api.url, '/v1/predict', { model: 'iris', inputs: [[6.0, 2.9, 4.5, 1.5]], cache: false });
    const waited = await request<TaskResource>(`${otherApi.url}/v1/tasks/${quick}?wait=30`);
    expect(waited.body.status).toBe('SUCCESS');

    const taskId = await submit(api.url, '/v1/train', trainIrisNetwork('iris-live', { epochs: 40, batch_size: 8 }));
    const stream = await openSse(`${otherApi.url}/v1/tasks/${taskId}/events`);
    expect(stream.status).toBe(200);
    const messages = await stream.rest();
    expect(messages.filter((m) => m.event === 'progress').length).toBeGreaterThanOrEqual(2);
    expect(messages.at(-1)).toMatchObject({ event: 'status', data: { task_id: taskId, status: 'SUCCESS' } });
  });

  it('cancels a waiting task at once and a running training within moments', async () => {
    const running = await submit(api.url, '/v1/train', trainIrisNetwork('doomed', { epochs: 1_000, batch_size: 4, hidden_units: [64] }));
    await pollUntil(api.url, running, (task) => task.status === 'STARTED' && (task.progress?.epoch ?? 0) >= 1, 60_000);
    // The only training slot is taken: this one waits.
    const waiting = await submit(api.url, '/v1/train', trainIris('never'));

    const revoked = await request(`${otherApi.url}/v1/tasks/${waiting}/cancel`, { method: 'POST' });
    expect(revoked.body).toMatchObject({ task_id: waiting, status: 'REVOKED' });
    const stopping = await request(`${otherApi.url}/v1/tasks/${running}/cancel`, { method: 'POST' });
    expect(stopping.status).toBe(202);
    const { task } = await pollUntil(api.url, running, finished, 30_000);
    expect(task.status).toBe('REVOKED');
    expect((await request<TaskResource>(`${api.url}/v1/tasks/${waiting}`)).body.status).toBe('REVOKED');
  });

  it('shows every queue on Bull Board', async () => {
    const board = await request(`${api.url}/admin/queues/api/queues`, { headers: boardAuth() });
    expect(board.status).toBe(200);
    const names = (board.body.queues as { name: string; counts: Record<string, number> }[]).map((queue) => queue.name);
    expect(names).toEqual(expect.arrayContaining(['train', 'predict', 'notify']));
    const train = (board.body.queues as { name: string; counts: Record<string, number> }[]).find((queue) => queue.name === 'train')!;
    expect(train.counts.completed).toBeGreaterThanOrEqual(2);
  });
});

/** The ports of the cluster's masters, as the first node sees them. */
async function masters(): Promise<number[]> {
  const node = new Redis(cluster.ports[0]!, '127.0.0.1');
  try {
    const ranges = (await node.cluster('SLOTS')) as [number, number, [string, number]][];
    return [...new Set(ranges.map(([, , [, port]]) => port))];
  } finally {
    node.disconnect();
  }
}
