import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TaskResource } from '@trainyard/shared/tasks';
import { request } from '@trainyard/test-support/http';
import { startApi, startWorker, type RunningProcess } from '@trainyard/test-support/processes';
import { deletePrefix, testPrefix } from '@trainyard/test-support/redis';
import { pollUntil, submit, tempStorage, trainIris } from '@trainyard/test-support/stack';

const prefix = testPrefix('rollouts');
const storage = tempStorage('rollouts');
const env = { QUEUE_PREFIX: prefix, STORAGE_URL: storage.url };
/** Few shadow copies may wait, so shedding shows with a handful of requests. */
const shadowMaxBacklog = 4;
let api: RunningProcess & { url: string };
let worker: RunningProcess | undefined;

const setosa = [5.1, 3.5, 1.4, 0.2];
const finished = (task: TaskResource) => ['SUCCESS', 'FAILURE'].includes(task.status);
const slow = 120_000;

const alias = (name: string, body: unknown) => request(`${api.url}/v1/models/iris/aliases/${name}`, { method: 'PUT', body });
const stats = async (name: string) => (await request(`${api.url}/v1/models/iris/aliases/${name}/stats`)).body;

/** The version that answered a predict request, waiting for the task when it was queued. */
async function answeringVersion(body: Record<string, unknown>): Promise<number> {
  const submitted = await request(`${api.url}/v1/predict`, { body: { model: 'iris', inputs: [setosa], ...body } });
  if (submitted.status === 200) return submitted.body.result.version as number;
  expect(submitted.status).toBe(202);
  const { task } = await pollUntil(api.url, submitted.body.task_id, finished, slow);
  expect(task.status).toBe('SUCCESS');
  return (task.result as { version: number }).version;
}

/** Polls the alias's stats until `done` holds. */
async function statsUntil(name: string, done: (body: any) => boolean): Promise<any> {
  const deadline = Date.now() + slow;
  for (;;) {
    const body = await stats(name);
    if (done(body)) return body;
    if (Date.now() > deadline) throw new Error(`stats of ${name} never got there: ${JSON.stringify(body)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

beforeAll(async () => {
  // 2,000 predictions and more within a minute: beyond the default submit budget.
  [api, worker] = await Promise.all([startApi({ ...env, RATE_LIMIT_SUBMITS: '100000', RATE_LIMIT_READS: '100000', SHADOW_MAX_BACKLOG: String(shadowMaxBacklog) }), startWorker(env)]);
  // Versions 1 and 2 are the same seeded training, so they agree on every row; 3 is there to be deleted.
  for (const params of [{}, {}, { epochs: 5 }]) {
    const { task } = await pollUntil(api.url, await submit(api.url, '/v1/train', trainIris('iris', params)), finished, slow);
    expect(task.status).toBe('SUCCESS');
  }
}, 3 * slow);

afterAll(async () => {
  await Promise.all([api?.stop(), worker?.stop()]);
  await deletePrefix(prefix);
  storage.remove();
});

describe('an alias that splits traffic', () => {
  it('is validated: existing versions, positive integer weights, either version or versions, a shadow apart', async () => {
    expect((await alias('production', { versions: { '1': 90, '99': 10 } })).status).toBe(404);
    for (const body of [{ versions: { '1': 0, '2': 10 } }, { versions: { '1': 1.5 } }, { versions: { one: 1 } }, { versions: {} }, { version: 1, versions: { '2': 1 } }, { version: 1, shadow: 1 }]) {
      const response = await alias('production', body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body.error.code).toBe('invalid_request');
    }
  });

  it('sends 2,000 requests to its versions by weight, within ±5 %, each answer naming its version', async () => {
    const set = await alias('production', { versions: { '1': 90, '2': 10 } });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ alias: 'production', version: 1, versions: { '1': 90, '2': 10 }, routes: { production: { versions: { '1': 90, '2': 10 } } } });
    // Warm the prediction cache of both versions: the split then answers from the API alone.
    expect(await answeringVersion({ version: 1 })).toBe(1);
    expect(await answeringVersion({ version: 2 })).toBe(2);
    const versions: number[] = [];
    for (let round = 0; round < 100; round++) {
      versions.push(...(await Promise.all(Array.from({ length: 20 }, () => answeringVersion({ version: 'production' })))));
    }
    const second = versions.filter((version) => version === 2).length / versions.length;
    expect(versions.every((version) => version === 1 || version === 2)).toBe(true);
    expect(second).toBeGreaterThan(0.05);
    expect(second).toBeLessThan(0.15);
    // Answered by the API from the cache, each still counts as its version's request.
    const total = (body: any) => body.versions.reduce((sum: number, v: { requests: number }) => sum + v.requests, 0);
    const counted = await statsUntil('production', (body) => total(body) >= versions.length);
    expect(total(counted)).toBe(versions.length);
    for (const version of [1, 2]) {
      const answered = versions.filter((v) => v === version).length;
      expect(counted.versions.find((v: { version: number }) => v.version === version)).toMatchObject({ role: 'primary', requests: answered, cached: answered, latency_ms: null });
    }
  }, slow);

  it('keeps a routing_key on one version while the split is unchanged', async () => {
    expect((await alias('sticky', { versions: { '1': 50, '2': 50 } })).status).toBe(200);
    const keys = Array.from({ length: 40 }, (_, i) => `customer-${i}`);
    const first = await Promise.all(keys.map((routing_key) => answeringVersion({ version: 'sticky', routing_key })));
    const again = await Promise.all(keys.map((routing_key) => answeringVersion({ version: 'sticky', routing_key })));
    expect(again).toEqual(first);
    // Both versions get keys: sticky is not "always the same version".
    expect(new Set(first)).toEqual(new Set([1, 2]));
  }, slow);

  it('shows its routes in the model details and refuses deleting a routed version (409 alias_in_use)', async () => {
    const details = await request(`${api.url}/v1/models/iris`);
    expect(details.body.routes).toMatchObject({ production: { versions: { '1': 90, '2': 10 } }, sticky: { versions: { '1': 50, '2': 50 } } });
    expect(details.body.aliases).toMatchObject({ production: 1 });
    // Both versions of the split answer for the alias.
    expect(details.body.versions.map((v: { aliases: string[] }) => v.aliases)).toEqual([
      ['production', 'sticky'],
      ['production', 'sticky'],
      [],
    ]);
    const response = await request(`${api.url}/v1/models/iris/versions/2`, { method: 'DELETE' });
    expect(response.status).toBe(409);
    expect(response.body.error).toMatchObject({ code: 'alias_in_use', message: expect.stringContaining('production') });
  });
});

describe('an alias with a shadow', () => {
  it('copies every prediction to the shadow, answers with the primary, and reports agreement and latency', async () => {
    const set = await alias('shadowed', { version: 1, shadow: 2 });
    expect(set.body).toMatchObject({ version: 1, shadow: 2, routes: { shadowed: { versions: { '1': 1 }, shadow: 2 } } });
    const requests = 6;
    // cache: false, so each request runs on the worker (shadow copies never queue faster than the worker takes them here).
    for (let i = 0; i < requests; i++) expect(await answeringVersion({ version: 'shadowed', cache: false })).toBe(1);
    const body = await statsUntil('shadowed', (s) => s.versions.some((v: any) => v.role === 'shadow' && v.requests === requests));
    expect(body).toMatchObject({ model: 'iris', alias: 'shadowed', route: { versions: { '1': 1 }, shadow: 2 }, shed: 0 });
    const primary = body.versions.find((v: any) => v.role === 'primary');
    const shadow = body.versions.find((v: any) => v.role === 'shadow');
    expect(primary).toMatchObject({ version: 1, requests });
    expect(shadow).toMatchObject({ version: 2, requests, agreement: { compared: requests, same_label_rate: 1 } });
    for (const figures of [primary, shadow]) {
      expect(figures.latency_ms.samples).toBe(requests);
      expect(figures.latency_ms.p50).toBeGreaterThan(0);
      expect(figures.latency_ms.p95).toBeGreaterThanOrEqual(figures.latency_ms.p50);
    }
    expect((await request(`${api.url}/v1/models/iris/versions/2`, { method: 'DELETE' })).body.error.code).toBe('alias_in_use');
  }, slow);

  it('sheds copies beyond SHADOW_MAX_BACKLOG and counts them, while every request is still answered', async () => {
    await worker!.stop();
    worker = undefined;
    const taskIds: string[] = [];
    for (let i = 0; i < shadowMaxBacklog + 3; i++) taskIds.push(await submit(api.url, '/v1/predict', { model: 'iris', version: 'shadowed', inputs: [setosa], cache: false }));
    // Copies are queued beside the requests: wait for all of them to be counted one way or the other.
    await statsUntil('shadowed', (s) => s.shed === 3);
    worker = await startWorker(env);
    for (const taskId of taskIds) expect((await pollUntil(api.url, taskId, finished, slow)).task.status).toBe('SUCCESS');
    const requests = 6 + shadowMaxBacklog + 3;
    const body = await statsUntil('shadowed', (s) => s.versions.find((v: any) => v.role === 'shadow')?.requests === 6 + shadowMaxBacklog);
    expect(body.versions.find((v: any) => v.role === 'primary').requests).toBe(requests);
    expect(body.shed).toBe(3);
  }, 2 * slow);
});

describe('a version deleted while a predict for it was queued', () => {
  it('fails the task with model_version_deleted, not retried', async () => {
    await worker!.stop();
    worker = undefined;
    const taskId = await submit(api.url, '/v1/predict', { model: 'iris', version: 3, inputs: [setosa], cache: false });
    expect((await request(`${api.url}/v1/models/iris/versions/3`, { method: 'DELETE' })).status).toBe(204);
    worker = await startWorker(env);
    const { task } = await pollUntil(api.url, taskId, finished, slow);
    expect(task.status).toBe('FAILURE');
    expect(task.error).toMatchObject({ code: 'model_version_deleted' });
    expect(task.attempts).toBe(1);
  }, slow);
});
