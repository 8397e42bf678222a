import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TaskEventLog } from '@trainyard/shared/tasks';
import { bearer } from '@trainyard/test-support/auth';
import { request } from '@trainyard/test-support/http';
import { startApi, startWorker, type RunningProcess } from '@trainyard/test-support/processes';
import { deletePrefix, redisUrl, testPrefix } from '@trainyard/test-support/redis';
import { openSse, type SseMessage } from '@trainyard/test-support/sse';
import { submit, tempStorage, trainIris, trainIrisNetwork } from '@trainyard/test-support/stack';

/**
 * Live task events against the real API and worker: the SSE stream, its resumption, and
 * `Prefer: wait` / `?wait=` — all built on the task's event log (follows.int.test.ts: their
 * shared Redis connection and caps).
 */

const prefix = testPrefix('events');
const storage = tempStorage('events');
let api: RunningProcess & { url: string };
let worker: RunningProcess;
let redis: Redis;
let log: TaskEventLog;

beforeAll(async () => {
  redis = new Redis(redisUrl);
  log = new TaskEventLog(redis, prefix, 600);
  const env = { QUEUE_PREFIX: prefix, STORAGE_URL: storage.url };
  [api, worker] = await Promise.all([
    // The slot hog below is over the default cost caps on purpose.
    startApi({ ...env, EVENTS_HEARTBEAT_MS: '300', TRAIN_MAX_EPOCHS: '5000', TRAIN_MIN_BATCH_SIZE: '1' }),
    startWorker({ ...env, WORKER_QUEUES: 'train,predict', SHUTDOWN_TIMEOUT_S: '0' }),
  ]);
});

afterAll(async () => {
  await Promise.all([api?.stop(), worker?.stop()]);
  redis?.disconnect();
  await deletePrefix(prefix);
  storage.remove();
});

/** Long enough for several progress updates (sent at most every 250 ms), short enough for CI. */
const slowIris = (model: string) => trainIrisNetwork(model, { epochs: 80, batch_size: 8 });
/** Minutes of training on the single training slot, however fast the machine: tests cancel it when done. */
const slotHog = (model: string) => trainIrisNetwork(model, { epochs: 5_000, batch_size: 1 });
const cancel = (taskId: string) => request(`${api.url}/v1/tasks/${taskId}/cancel`, { method: 'POST' });

const streamOrder = (id: string) => id.split('-').map(BigInt) as [bigint, bigint];
const isAfter = (a: string, b: string) => {
  const [am, as] = streamOrder(a);
  const [bm, bs] = streamOrder(b);
  return am > bm || (am === bm && as > bs);
};

describe('GET /v1/tasks/{id}/events', () => {
  it('follows a training from its current state through progress, in order, to SUCCESS, then ends', async () => {
    const taskId = await submit(api.url, '/v1/train', slowIris('iris-live'));
    const stream = await openSse(`${api.url}/v1/tasks/${taskId}/events`);
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);

    const messages = await stream.rest();
    expect(messages[0]).toMatchObject({ event: 'status', data: { task_id: taskId } });
    expect(['PENDING', 'STARTED']).toContain(messages[0]!.data.status);

    const progress = messages.filter((m) => m.event === 'progress');
    expect(progress.length).toBeGreaterThanOrEqual(3);
    // In order: the epoch count starts again for the refit on every row, the percentage never goes back.
    const percents = progress.map((m) => m.data.percent as number);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    expect(progress.at(-1)!.data).toMatchObject({ percent: 100, epochs: 80, phase: 'refit' });

    const last = messages.at(-1)!;
    expect(last).toMatchObject({ event: 'status', data: { status: 'SUCCESS', attempt: 1 } });
    const ids = messages.map((m) => m.id!).filter((id) => id !== '0-0');
    ids.slice(1).forEach((id, i) => expect(isAfter(id, ids[i]!)).toBe(true));
    // Every event the log holds after the first message reached the client.
    const logged = await log.read(taskId, ids[0]);
    expect(ids.slice(1)).toEqual(logged.map((entry) => entry.id));
  });

  it('resumes after Last-Event-ID, missing nothing and repeating nothing', async () => {
    const taskId = await submit(api.url, '/v1/train', slowIris('iris-resume'));
    const first = await openSse(`${api.url}/v1/tasks/${taskId}/events`);
    const before: SseMessage[] = [];
    while (before.filter((m) => m.event === 'progress').length < 2) before.push((await first.next())!);
    first.close();
    const lastSeen = before.at(-1)!.id!;

    const second = await openSse(`${api.url}/v1/tasks/${taskId}/events`, { 'last-event-id': lastSeen });
    const after = await second.rest();
    expect(after.at(-1)).toMatchObject({ event: 'status', data: { status: 'SUCCESS' } });
    const logged = await log.read(taskId, lastSeen);
    expect(after.map((m) => m.id)).toEqual(logged.map((entry) => entry.id));
    expect(after.map((m) => m.id)).not.toContain(lastSeen);
  });

  it('shows a finished task at once and ends', async () => {
    const taskId = await submit(api.url, '/v1/train', trainIris('iris-done', { epochs: 5 }));
    await request(`${api.url}/v1/tasks/${taskId}?wait=30`);
    const messages = await (await openSse(`${api.url}/v1/tasks/${taskId}/events`)).rest();
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ event: 'status', data: { status: 'SUCCESS' } });
  });

  it('sends heartbeats while nothing happens', async () => {
    // Queued behind a long training on the single training slot: nothing happens to it for a while.
    const busy = await submit(api.url, '/v1/train', slotHog('iris-busy'));
    const idle = await submit(api.url, '/v1/train', trainIris('iris-idle', { epochs: 5 }));
    const stream = await openSse(`${api.url}/v1/tasks/${idle}/events`);
    expect(await stream.next()).toMatchObject({ event: 'status', data: { status: 'PENDING' } });
    const nothingYet = stream.next();
    await new Promise((r) => setTimeout(r, 1_000));
    expect(stream.comments.length).toBeGreaterThanOrEqual(2);
    stream.close();
    expect(await nothingYet).toBeNull();
    await cancel(busy);
    await request(`${api.url}/v1/tasks/${busy}?wait=60`);
    await request(`${api.url}/v1/tasks/${idle}?wait=60`);
  });

  it('answers 204 to a Last-Event-ID at the end of a finished task (a browser stops reconnecting) and 400 past the end of a waiting one', async () => {
    const done = await submit(api.url, '/v1/train', trainIris('iris-ended', { epochs: 5 }));
    await request(`${api.url}/v1/tasks/${done}?wait=30`);
    const last = (await log.read(done)).at(-1)!.id;
    const ended = await fetch(`${api.url}/v1/tasks/${done}/events`, { headers: { ...bearer(), 'last-event-id': last } });
    expect(ended.status).toBe(204);
    expect(await ended.text()).toBe('');

    const busy = await submit(api.url, '/v1/train', slotHog('iris-past-busy'));
    const waiting = await submit(api.url, '/v1/train', trainIris('iris-past', { epochs: 5 }));
    const past = await request(`${api.url}/v1/tasks/${waiting}/events`, { headers: { 'last-event-id': '99999999999999-0' } });
    expect(past.status).toBe(400);
    expect(past.body.error.message).toMatch(/past the end/);
    await cancel(busy);
    await request(`${api.url}/v1/tasks/${waiting}?wait=60`);
  });

  it('answers 404 for an unknown task and 400 for a Last-Event-ID it never sent', async () => {
    expect((await request(`${api.url}/v1/tasks/train-00000000000000000000000000000000/events`)).status).toBe(404);
    const taskId = await submit(api.url, '/v1/train', trainIris('iris-bad-id', { epochs: 5 }));
    const response = await request(`${api.url}/v1/tasks/${taskId}/events`, { headers: { 'last-event-id': 'yesterday' } });
    expect(response.status).toBe(400);
  });
});

describe('waiting for a result', () => {
  it('Prefer: wait gives 200 with the finished task for a fast prediction', async () => {
    const response = await request(`${api.url}/v1/predict`, {
      body: { model: 'iris-live', inputs: [[5.1, 3.5, 1.4, 0.2]] },
      headers: { prefer: 'wait=20' },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('preference-applied')).toBe('wait=20');
    expect(response.headers.get('location')).toBe(`/v1/tasks/${response.body.task_id}`);
    expect(response.body).toMatchObject({ status: 'SUCCESS', result: { model: 'iris-live', version: 1 } });
    expect(response.body.result.predictions).toHaveLength(1);
    expect(response.body.history.map((entry: { status: string }) => entry.status)).toEqual(['STARTED', 'SUCCESS']);
  });

  it('Prefer: wait gives 202 with the task as it stands when the wait runs out; GET ?wait= then sees it finish', async () => {
    // Behind a long training on the single training slot, the task cannot finish within the wait.
    const busy = await submit(api.url, '/v1/train', slotHog('iris-wait-busy'));
    const started = Date.now();
    const response = await request(`${api.url}/v1/train`, { body: trainIris('iris-wait', { epochs: 5 }), headers: { prefer: 'respond-async, wait=1' } });
    const waited = Date.now() - started;
    expect(response.status).toBe(202);
    expect(response.body).toMatchObject({ status: 'PENDING', result: null });
    expect(waited).toBeGreaterThanOrEqual(900);
    expect(waited).toBeLessThan(5_000);

    const again = await request(`${api.url}/v1/tasks/${response.body.task_id}?wait=1`);
    expect(again.status).toBe(202);
    expect(again.body.status).toBe('PENDING');
    await cancel(busy);

    const finished = await request(`${api.url}/v1/tasks/${response.body.task_id}?wait=60`);
    expect(finished.status).toBe(200);
    expect(finished.body).toMatchObject({ status: 'SUCCESS', result: { model: 'iris-wait' } });
    expect(finished.body.finished_at).not.toBeNull();
  });

  it('GET ?wait= outside 0..60 is a 400 naming wait', async () => {
    const taskId = await submit(api.url, '/v1/train', trainIris('iris-bad-wait', { epochs: 5 }));
    for (const wait of ['61', '-1', 'soon']) {
      const response = await request(`${api.url}/v1/tasks/${taskId}?wait=${wait}`);
      expect(response.status).toBe(400);
      expect(response.body.error.issues[0].path).toBe('wait');
    }
  });
});
