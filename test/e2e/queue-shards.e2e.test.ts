import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { chooseShard } from '@trainyard/shared/jobs';
import { shardPrefix } from '@trainyard/shared/platform';
import { taskShardOf, type TaskResource } from '@trainyard/shared/tasks';
import { boardAuth } from '@trainyard/test-support/auth';
import { request } from '@trainyard/test-support/http';
import { startApi, startWorker, type RunningProcess } from '@trainyard/test-support/processes';
import { PrivateCluster } from '@trainyard/test-support/redis-cluster';
import { openSse } from '@trainyard/test-support/sse';
import { pollUntil, submit, tempStorage, trainIris, trainIrisNetwork } from '@trainyard/test-support/stack';

// QUEUE_SHARDS=3 on a private cluster of three masters: each shard's queues, and every key of its
// tasks, on a master of its own; any API replica serves any task from its id.
const storage = tempStorage('shards');
let cluster: PrivateCluster;
let api: RunningProcess & { url: string };
let otherApi: RunningProcess & { url: string };
let worker: RunningProcess;
let env: Record<string, string>;

beforeAll(async () => {
  cluster = await PrivateCluster.start();
  env = { REDIS_URL: cluster.url, QUEUE_PREFIX: 'trainyard', QUEUE_SHARDS: '3', STORAGE_URL: storage.url };
  // Event streams send their headers with their first message or heartbeat: a short one opens them at once.
  const apiEnv = { ...env, EVENTS_HEARTBEAT_MS: '200' };
  [api, otherApi, worker] = await Promise.all([startApi(apiEnv), startApi(apiEnv), startWorker(env)]);
}, 90_000);

afterAll(async () => {
  await Promise.all([api?.stop(), otherApi?.stop(), worker?.stop()]);
  await cluster?.stop();
  storage.remove();
});

const shards = [0, 1, 2];
/** The first test's trainings, one per shard. */
let trained: string[] = [];
const finished = (task: TaskResource) => !['PENDING', 'STARTED', 'RETRY'].includes(task.status);
/** The first model name of tenant "default" (the test key's) that goes to each shard. */
const modelOn = (shard: number, stem = 'iris') => {
  for (let i = 0; ; i++) if (chooseShard('train', 3, 'default', `${stem}-${i}`) === shard) return `${stem}-${i}`;
};

describe('with QUEUE_SHARDS=3 on a Redis Cluster of three masters', () => {
  it('keeps each shard on its own master, and a model’s trainings and predictions on its shard', async () => {
    const homes = await Promise.all(shards.map((shard) => cluster.masterOf(shardPrefix('{trainyard}', shard))));
    expect(new Set(homes).size).toBe(3);

    trained = await Promise.all(shards.map((shard) => submit(api.url, '/v1/train', trainIris(modelOn(shard)))));
    expect(trained.map(taskShardOf)).toEqual(shards);
    for (const taskId of trained) expect((await pollUntil(otherApi.url, taskId, finished, 60_000)).task.status).toBe('SUCCESS');

    const predicted = await Promise.all(shards.map((shard) => submit(otherApi.url, '/v1/predict', { model: modelOn(shard), inputs: [[5.1, 3.5, 1.4, 0.2]], cache: false })));
    expect(predicted.map(taskShardOf)).toEqual(shards);
    for (const taskId of predicted) {
      const waited = await request<TaskResource>(`${api.url}/v1/tasks/${taskId}?wait=30`);
      expect(waited.body).toMatchObject({ status: 'SUCCESS', result: { predictions: [{ label: 'setosa' }] } });
    }

    // The prediction cache stays tenant-wide (shard 0's slot): a repeat is answered from it.
    const rows = { model: modelOn(2), inputs: [[6.7, 3.0, 5.2, 2.3]] };
    const first = await submit(api.url, '/v1/predict', rows);
    expect((await pollUntil(api.url, first, finished)).task.status).toBe('SUCCESS');
    const again = await request(`${otherApi.url}/v1/predict`, { body: rows });
    expect(again.body).toMatchObject({ status: 'SUCCESS', result: { cached: true } });

    // Every key on a shard's master is that shard's; each task's job and log are there.
    for (const shard of shards) {
      const node = new Redis(homes[shard]!, '127.0.0.1');
      try {
        const keys = await node.keys('*');
        expect(keys.every((key) => key.startsWith(`${shardPrefix('{trainyard}', shard)}:`))).toBe(true);
        for (const taskId of [trained[shard]!, predicted[shard]!]) {
          expect(keys).toContain(`${shardPrefix('{trainyard}', shard)}:${taskId.split('-')[0]}:${taskId}`);
          expect(keys).toContain(`${shardPrefix('{trainyard}', shard)}:task:${taskId}:events`);
        }
      } finally {
        node.disconnect();
      }
    }
  });

  it('streams a sharded task’s events and the tenant feed of every shard', async () => {
    const feed = await openSse(`${otherApi.url}/v1/events?type=train`);
    const model = modelOn(2, 'live');
    const taskId = await submit(api.url, '/v1/train', trainIrisNetwork(model, { epochs: 20, batch_size: 8 }));
    expect(taskShardOf(taskId)).toBe(2);
    const stream = await openSse(`${otherApi.url}/v1/tasks/${taskId}/events`);
    const messages = await stream.rest();
    expect(messages.filter((message) => message.event === 'progress').length).toBeGreaterThanOrEqual(2);
    expect(messages.at(-1)).toMatchObject({ event: 'status', data: { task_id: taskId, status: 'SUCCESS' } });

    const others = await Promise.all([0, 1].map((shard) => submit(api.url, '/v1/train', trainIris(modelOn(shard, 'feed')))));
    const ended = new Set<string>();
    while (ended.size < 3) {
      const message = (await feed.next())!;
      if (message.event === 'status' && message.data.status === 'SUCCESS') ended.add(message.data.task_id as string);
    }
    feed.close();
    expect([...ended].sort()).toEqual([taskId, ...others].sort());
  });

  it('cancels a waiting and a running task of a shard, from the other replica', async () => {
    const model = modelOn(1, 'doomed');
    const running = await submit(api.url, '/v1/train', trainIrisNetwork(model, { epochs: 1_000, batch_size: 4, hidden_units: [64] }));
    await pollUntil(api.url, running, (task) => task.status === 'STARTED' && (task.progress?.epoch ?? 0) >= 1, 60_000);
    // Shard 1's training worker is busy: this one waits.
    const waiting = await submit(api.url, '/v1/train', trainIris(model));
    expect([running, waiting].map(taskShardOf)).toEqual([1, 1]);

    const revoked = await request(`${otherApi.url}/v1/tasks/${waiting}/cancel`, { method: 'POST' });
    expect(revoked.body).toMatchObject({ task_id: waiting, status: 'REVOKED' });
    expect((await request(`${otherApi.url}/v1/tasks/${running}/cancel`, { method: 'POST' })).status).toBe(202);
    expect((await pollUntil(api.url, running, finished, 30_000)).task.status).toBe('REVOKED');
    expect((await request<TaskResource>(`${api.url}/v1/tasks/${waiting}`)).body.status).toBe('REVOKED');
  });

  it('lists the tenant’s tasks of every shard newest first, page by page', async () => {
    const seen: TaskResource[] = [];
    let cursor: string | null = null;
    do {
      const page: { status: number; body: { tasks: TaskResource[]; next_cursor: string | null } } = await request(
        `${otherApi.url}/v1/tasks?type=train&limit=3${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(page.status).toBe(200);
      seen.push(...page.body.tasks);
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(seen).toHaveLength(8);
    expect(new Set(seen.map((task) => taskShardOf(task.task_id)))).toEqual(new Set(shards));
    const created = seen.map((task) => Date.parse(task.created_at));
    expect(created).toEqual([...created].sort((a, b) => b - a));
  });

  it('logs no write refused for crossing hash slots', () => {
    expect([...api.lines, ...otherApi.lines, ...worker.lines].filter((line) => /CROSSSLOT|not recorded/.test(line))).toEqual([]);
  });

  it('shows every shard’s queues on Bull Board', async () => {
    const board = await request(`${api.url}/admin/queues/api/queues`, { headers: boardAuth() });
    expect(board.status, JSON.stringify(board.body)).toBe(200);
    const queues = board.body.queues as { name: string; displayName?: string; counts: Record<string, number> }[];
    expect(queues.map((queue) => queue.name)).toEqual(expect.arrayContaining(['train', 's1-train', 's2-train', 'predict', 's1-predict', 's2-predict', 'notify']));
    expect(queues.find((queue) => queue.name === 's2-train')).toMatchObject({ displayName: 'train (shard 2)' });
    for (const name of ['train', 's1-train', 's2-train']) expect(queues.find((queue) => queue.name === name)!.counts.completed).toBeGreaterThanOrEqual(1);
  });
});

describe('after QUEUE_SHARDS went down to 1', () => {
  it('still reads, lists and shows the dropped shards’ tasks, and a worker drains them without being told', async () => {
    await worker.stop();
    // Queued on shard 2 while no worker runs.
    const stranded = await submit(api.url, '/v1/predict', { model: modelOn(2), inputs: [[5.9, 3.0, 5.1, 1.8]], cache: false });
    expect(taskShardOf(stranded)).toBe(2);

    const oneShard = { ...env, QUEUE_SHARDS: '1' };
    const [narrowApi, drainer] = await Promise.all([startApi(oneShard), startWorker(oneShard)]);
    try {
      for (const taskId of trained) expect((await request<TaskResource>(`${narrowApi.url}/v1/tasks/${taskId}`)).body.status).toBe('SUCCESS');
      const drained = await request<TaskResource>(`${narrowApi.url}/v1/tasks/${stranded}?wait=30`);
      expect(drained.body).toMatchObject({ status: 'SUCCESS', result: { predictions: [{ label: 'virginica' }] } });
      const listed = await request<{ tasks: TaskResource[] }>(`${narrowApi.url}/v1/tasks?limit=100`);
      expect(listed.status, JSON.stringify(listed.body)).toBe(200);
      expect(listed.body.tasks.map((task) => task.task_id)).toEqual(expect.arrayContaining([stranded, ...trained]));
      const board = await request(`${narrowApi.url}/admin/queues/api/queues`, { headers: boardAuth() });
      expect(board.status, JSON.stringify(board.body)).toBe(200);
      expect((board.body.queues as { name: string }[]).map((queue) => queue.name)).toEqual(expect.arrayContaining(['predict', 's1-predict', 's2-predict']));
      // New tasks go to shard 0 only.
      expect(taskShardOf(await submit(narrowApi.url, '/v1/predict', { model: modelOn(2), inputs: [[5.9, 3.0, 5.1, 1.8]], cache: false }))).toBe(0);
    } finally {
      await Promise.all([narrowApi.stop(), drainer.stop()]);
    }
  });
});
