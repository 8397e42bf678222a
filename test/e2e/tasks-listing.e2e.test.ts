import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TaskResource } from '@trainyard/shared/tasks';
import { createKey } from '@trainyard/test-support/auth';
import { request, waitForTask } from '@trainyard/test-support/http';
import { startApi, startWorker, type RunningProcess } from '@trainyard/test-support/processes';
import { deletePrefix, testPrefix } from '@trainyard/test-support/redis';
import { openSse, type SseMessage, type SseStream } from '@trainyard/test-support/sse';
import { inlineLine, tempStorage } from '@trainyard/test-support/stack';

const prefix = testPrefix('tasks-listing');
const storage = tempStorage('tasks-listing');
const env = { QUEUE_PREFIX: prefix, STORAGE_URL: storage.url };
let api: RunningProcess & { url: string };
let worker: RunningProcess;
/** Two tenants' keys: neither may see the other's tasks. */
let acme: string;
let globex: string;

beforeAll(async () => {
  api = await startApi({ ...env, EVENTS_HEARTBEAT_MS: '200' });
  worker = await startWorker(env);
  acme = (await createKey(api.url, { tenant: 'acme' })).key;
  globex = (await createKey(api.url, { tenant: 'globex' })).key;
}, 60_000);

afterAll(async () => {
  await Promise.all([api?.stop(), worker?.stop()]);
  await deletePrefix(prefix);
  storage.remove();
});

const line = (model: string) => ({ model, algorithm: 'linear-regression', dataset: inlineLine });

async function train(key: string, body: unknown): Promise<string> {
  const response = await request(`${api.url}/v1/train`, { body, key });
  expect(response.status, JSON.stringify(response.body)).toBe(202);
  return response.body.task_id as string;
}

async function list(key: string, query = ''): Promise<{ status: number; body: { tasks: TaskResource[]; next_cursor: string | null } }> {
  return request(`${api.url}/v1/tasks${query}`, { key });
}

const ids = (tasks: TaskResource[]) => tasks.map((task) => task.task_id);

async function upload(key: string, name: string, csv: string): Promise<void> {
  const response = await request(`${api.url}/v1/datasets/${name}`, { method: 'PUT', body: csv, headers: { 'content-type': 'text/csv' }, key });
  expect(response.status, JSON.stringify(response.body)).toBeLessThan(300);
}

const rows = [0, 1, 2, 3, 4, 5, 6, 7].map((x) => `${x},${2 * x + 1}`);
/** A column of words where a feature must be a number: every training on it fails. */
const badCsv = `x,note,y\n${rows.map((row, i) => row.replace(',', `,word${i},`)).join('\n')}\n`;
const goodCsv = `x,y\n${rows.join('\n')}\n`;

describe('GET /v1/tasks', () => {
  it('lists the tenant’s tasks newest first, filters them and pages through them with a cursor', async () => {
    const first = await train(acme, line('alpha'));
    const second = await train(acme, line('beta'));
    const third = await train(acme, line('alpha'));
    const other = await train(globex, line('alpha'));
    for (const id of [first, second, third]) await waitForTask(api.url, id, ['SUCCESS'], 60_000, acme);

    const all = await list(acme);
    expect(all.status).toBe(200);
    expect(ids(all.body.tasks).filter((id) => [first, second, third].includes(id))).toEqual([third, second, first]);
    expect(ids(all.body.tasks)).not.toContain(other);
    expect(all.body.tasks.find((task) => task.task_id === third)).toMatchObject({ type: 'train', status: 'SUCCESS', model: 'alpha', version: expect.any(Number), retry_of: null, retried_by: null });

    expect(ids((await list(acme, '?model=alpha')).body.tasks)).toEqual(expect.arrayContaining([first, third]));
    expect(ids((await list(acme, '?model=alpha')).body.tasks)).not.toContain(second);
    expect((await list(acme, '?type=predict')).body.tasks).toEqual([]);
    expect((await list(acme, '?status=FAILURE&model=alpha')).body.tasks).toEqual([]);

    // One per page: every task once, in the same order, and the last page says there is no more.
    const paged: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await list(acme, `?model=alpha&limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      expect(page.body.tasks.length).toBeLessThanOrEqual(1);
      paged.push(...ids(page.body.tasks));
      cursor = page.body.next_cursor;
      pages++;
    } while (cursor && pages < 20);
    expect(cursor).toBeNull();
    expect(paged).toEqual(ids((await list(acme, '?model=alpha')).body.tasks));

    const { created_at } = all.body.tasks.find((task) => task.task_id === second)!;
    const since = await list(acme, `?since=${encodeURIComponent(created_at)}`);
    expect(ids(since.body.tasks)).toEqual(expect.arrayContaining([second, third]));
    expect(ids(since.body.tasks)).not.toContain(first);

    // The other tenant sees only its own.
    expect(ids((await list(globex)).body.tasks)).toEqual([other]);
    expect((await request(`${api.url}/v1/tasks/${first}`, { key: globex })).status).toBe(404);
  }, 90_000);

  it('answers a bad query with a 400 naming the parameter', async () => {
    for (const [query, path] of [
      ['?limit=0', 'limit'],
      ['?limit=201', 'limit'],
      ['?status=DONE', 'status'],
      ['?type=embed', 'type'],
      ['?since=yesterday', 'since'],
      ['?cursor=bm90LWEtY3Vyc29y', 'cursor'],
      ['?colour=red', ''],
    ] as const) {
      const response = await list(acme, query);
      expect(response.status, query).toBe(400);
      expect(response.body.error.code).toBe('invalid_request');
      if (path) expect(response.body.error.message, query).toContain(path);
    }
  });
});

describe('retrying tasks', () => {
  it('re-runs a training that failed on bad data as a new task, once, which succeeds once the data is fixed', async () => {
    await upload(acme, 'points', badCsv);
    const failedId = await train(acme, { model: 'points', algorithm: 'linear-regression', dataset: { name: 'points', target: 'y' } });
    const failed = await waitForTask(api.url, failedId, ['FAILURE', 'SUCCESS'], 60_000, acme);
    expect(failed).toMatchObject({ status: 'FAILURE', error: { code: 'invalid_data' } });

    // Only the tenant's own task can be retried; another tenant's is unknown to it.
    expect((await request(`${api.url}/v1/tasks/${failedId}/retry`, { method: 'POST', key: globex })).status).toBe(404);
    expect((await request(`${api.url}/v1/tasks/train-${'0'.repeat(32)}/retry`, { method: 'POST', key: acme })).status).toBe(404);

    await upload(acme, 'points', goodCsv);
    const retried = await request<TaskResource>(`${api.url}/v1/tasks/${failedId}/retry`, { method: 'POST', key: acme });
    expect(retried.status).toBe(202);
    expect(retried.headers.get('location')).toBe(`/v1/tasks/${retried.body.task_id}`);
    expect(retried.body).toMatchObject({ type: 'train', model: 'points', retry_of: failedId, retried_by: null });
    expect(retried.body.task_id).not.toBe(failedId);
    const succeeded = await waitForTask(api.url, retried.body.task_id, ['SUCCESS', 'FAILURE'], 60_000, acme);
    expect(succeeded).toMatchObject({ status: 'SUCCESS', version: 1, retry_of: failedId });
    expect((await request(`${api.url}/v1/tasks/${failedId}`, { key: acme })).body).toMatchObject({ status: 'FAILURE', retried_by: retried.body.task_id });

    const again = await request(`${api.url}/v1/tasks/${failedId}/retry`, { method: 'POST', key: acme });
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: 'task_not_retryable', message: expect.stringContaining(retried.body.task_id) });
    const ofSuccess = await request(`${api.url}/v1/tasks/${succeeded.task_id}/retry`, { method: 'POST', key: acme });
    expect(ofSuccess.status).toBe(409);
    expect(ofSuccess.body.error).toMatchObject({ code: 'task_not_retryable', message: expect.stringContaining('SUCCESS') });
  }, 120_000);

  it('retries every not-yet-retried failed task matching a filter in one call', async () => {
    await upload(acme, 'broken', badCsv);
    const broken = { model: 'broken', algorithm: 'linear-regression', dataset: { name: 'broken', target: 'y' } };
    const failedIds = [await train(acme, broken), await train(acme, broken)];
    for (const id of failedIds) expect((await waitForTask(api.url, id, ['FAILURE', 'SUCCESS'], 60_000, acme)).status).toBe('FAILURE');
    // Another tenant's failures with the same model name are not this tenant's to retry.
    await upload(globex, 'broken', badCsv);
    const othersFailure = await train(globex, broken);
    await waitForTask(api.url, othersFailure, ['FAILURE'], 60_000, globex);

    const bulk = await request<{ tasks: TaskResource[] }>(`${api.url}/v1/tasks:retry`, { body: { model: 'broken' }, key: acme });
    expect(bulk.status).toBe(202);
    expect(bulk.body.tasks.map((task) => task.retry_of).sort()).toEqual([...failedIds].sort());
    expect(bulk.body.tasks.every((task) => task.model === 'broken' && task.type === 'train')).toBe(true);
    for (const id of failedIds) expect((await request(`${api.url}/v1/tasks/${id}`, { key: acme })).body.retried_by).toMatch(/^train-/);
    expect((await request(`${api.url}/v1/tasks/${othersFailure}`, { key: globex })).body.retried_by).toBeNull();

    // Each failure is retried once: the retries themselves are still running (or failed anew: they are new tasks).
    for (const task of bulk.body.tasks) await waitForTask(api.url, task.task_id, ['FAILURE'], 60_000, acme);
    const second = await request<{ tasks: TaskResource[] }>(`${api.url}/v1/tasks:retry`, { body: { model: 'broken', limit: 1 }, key: acme });
    expect(second.status).toBe(202);
    expect(second.body.tasks).toHaveLength(1);
    expect(bulk.body.tasks.map((task) => task.task_id)).toContain(second.body.tasks[0]!.retry_of);

    for (const body of [{ status: 'SUCCESS' }, { limit: 1001 }, { since: 'never' }, { model: 'broken', extra: 1 }]) {
      const refused = await request(`${api.url}/v1/tasks:retry`, { body, key: acme });
      expect(refused.status, JSON.stringify(body)).toBe(400);
      expect(refused.body.error.code).toBe('invalid_request');
    }
  }, 150_000);
});

/** Messages of a stream until `done` holds for what came, or the stream ends. */
async function readUntil(stream: SseStream, done: (messages: SseMessage[]) => boolean): Promise<SseMessage[]> {
  const messages: SseMessage[] = [];
  while (!done(messages)) {
    const message = await stream.next();
    if (!message) break;
    messages.push(message);
  }
  return messages;
}

const finishedTasks = (messages: SseMessage[]) => new Set(messages.filter((m) => m.event === 'status' && m.data.status === 'SUCCESS').map((m) => m.data.task_id));

describe('GET /v1/events', () => {
  it('streams every status change of the tenant’s tasks, tagged with the task, and none of another tenant’s', async () => {
    const feed = await openSse(`${api.url}/v1/events`, { authorization: `Bearer ${acme}` });
    const othersFeed = await openSse(`${api.url}/v1/events`, { authorization: `Bearer ${globex}` });
    expect(feed.status).toBe(200);
    expect(feed.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const one = await train(acme, line('feed-one'));
    const two = await train(acme, line('feed-two'));
    const others = await train(globex, line('feed-one'));

    const messages = await readUntil(feed, (seen) => finishedTasks(seen).size === 2);
    expect(finishedTasks(messages)).toEqual(new Set([one, two]));
    for (const id of [one, two]) {
      const statuses = messages.filter((m) => m.data.task_id === id && m.event === 'status').map((m) => m.data.status);
      expect(statuses).toEqual(['STARTED', 'SUCCESS']);
    }
    expect(messages.every((m) => m.id && m.data.type === 'train' && ['feed-one', 'feed-two'].includes(m.data.model))).toBe(true);
    expect(messages.find((m) => m.data.task_id === one)!.data.model).toBe('feed-one');
    expect(messages.some((m) => m.data.task_id === others)).toBe(false);

    const theirs = await readUntil(othersFeed, (seen) => finishedTasks(seen).has(others));
    expect(new Set(theirs.map((m) => m.data.task_id))).toEqual(new Set([others]));
    feed.close();
    othersFeed.close();

    // Last-Event-ID replays what came after that message, in order; a filter keeps one model's.
    const resumed = await openSse(`${api.url}/v1/events`, { authorization: `Bearer ${acme}`, 'last-event-id': messages[0]!.id! });
    const replayed = await readUntil(resumed, (seen) => seen.length === messages.length - 1);
    resumed.close();
    expect(replayed.map((m) => m.id)).toEqual(messages.slice(1).map((m) => m.id));
    const filtered = await openSse(`${api.url}/v1/events?model=feed-two`, { authorization: `Bearer ${acme}`, 'last-event-id': messages[0]!.id! });
    const ofTwo = await readUntil(filtered, (seen) => finishedTasks(seen).has(two));
    filtered.close();
    expect(new Set(ofTwo.map((m) => m.data.task_id))).toEqual(new Set([two]));
  }, 90_000);

  it('keeps an idle stream open with heartbeats, and refuses a bad Last-Event-ID or query', async () => {
    const idle = await openSse(`${api.url}/v1/events?type=batch`, { authorization: `Bearer ${acme}` });
    // Reading in the background collects the heartbeat comments as they come.
    const reading = idle.next();
    const deadline = Date.now() + 20_000;
    while (idle.comments.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(idle.comments).toContain('heartbeat');
    idle.close();
    expect(await reading).toBeNull();

    for (const [headers, query] of [[{ 'last-event-id': 'yesterday' }, ''], [{}, '?type=embed'], [{}, '?model=Not A Name']] as const) {
      const response = await request(`${api.url}/v1/events${query}`, { key: acme, headers });
      expect(response.status).toBe(400);
      expect(response.body.error.code).toBe('invalid_request');
    }
  }, 30_000);
});
