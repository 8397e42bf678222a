import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer } from '@trainyard/test-support/auth';
import { request, waitForTask, type RequestInit } from '@trainyard/test-support/http';
import { openApiRecorder, type OpenApiRecorder } from '@trainyard/test-support/openapi';
import { startApi, startWorker, type RunningProcess } from '@trainyard/test-support/processes';
import { deletePrefix, testPrefix } from '@trainyard/test-support/redis';
import { openSse } from '@trainyard/test-support/sse';
import { tempStorage, trainIris } from '@trainyard/test-support/stack';

/**
 * Conformance: the built API and a worker answer every operation of their own /openapi.json at
 * least once, and each answer's status and body match what the document says.
 */

const prefix = testPrefix('openapi');
const storage = tempStorage('openapi');
const env = { QUEUE_PREFIX: prefix, STORAGE_URL: storage.url };
let api: RunningProcess & { url: string };
let worker: RunningProcess;
let spec: OpenApiRecorder;

/** A JSON call whose answer is checked against the document. */
async function call(method: string, path: string, init: RequestInit = {}) {
  const response = await request(`${api.url}${path}`, { method, ...init });
  spec.check(method, path, response.status, response.body, response.headers.get('content-type') ?? undefined);
  return response;
}

/** A call whose body is not JSON (files, pages, uploads): status and media type are checked. */
async function raw(method: string, path: string, init: { body?: string; headers?: Record<string, string> } = {}) {
  const response = await fetch(`${api.url}${path}`, { method, headers: { ...bearer(), ...init.headers }, body: init.body });
  const type = response.headers.get('content-type') ?? '';
  const text = await response.text();
  spec.check(method, path, response.status, !text ? undefined : type.startsWith('application/json') ? JSON.parse(text) : text, type || undefined);
  return { status: response.status, type, text };
}

beforeAll(async () => {
  api = await startApi(env);
  worker = await startWorker({ ...env, WORKER_QUEUES: 'train,predict,batch,batch-chunks' });
  spec = await openApiRecorder(api.url);
});

afterAll(async () => {
  await Promise.all([api?.stop(), worker?.stop()]);
  await deletePrefix(prefix);
  storage.remove();
});

describe('the API answers as its OpenAPI document says', () => {
  it('for the public routes: health, readiness, the document and the reference page', async () => {
    expect((await call('GET', '/health')).status).toBe(200);
    expect((await call('GET', '/ready')).status).toBe(200);
    expect((await call('GET', '/openapi.json', { key: null })).body.openapi).toBe('3.1.1');
    const page = await raw('GET', '/docs', { headers: {} });
    expect(page.status).toBe(200);
    expect(page.text).toContain('/docs/assets/swagger-ui-bundle.js');
    const asset = await fetch(`${api.url}/docs/assets/swagger-ui-bundle.js`);
    expect(asset.status).toBe(200);
    // The package's demo page, which points at a public API, is not served.
    expect((await fetch(`${api.url}/docs/assets/index.html`)).status).toBe(404);
  });

  it('for training, predicting, tasks, their events and the model registry', async () => {
    const train = await call('POST', '/v1/train', { body: trainIris('conform'), headers: { 'idempotency-key': `conform-${prefix}` } });
    expect(train.status).toBe(202);
    expect(train.headers.get('location')).toBe(`/v1/tasks/${train.body.task_id}`);
    const waited = await call('GET', `/v1/tasks/${train.body.task_id}?wait=60`);
    expect([200, 202]).toContain(waited.status);
    const trained = await waitForTask(api.url, train.body.task_id, ['SUCCESS', 'FAILURE'], 120_000);
    expect(trained.status).toBe('SUCCESS');
    expect((await call('GET', `/v1/tasks/${train.body.task_id}`)).status).toBe(200);

    const events = await openSse(`${api.url}/v1/tasks/${train.body.task_id}/events`);
    expect(events.status).toBe(200);
    const messages = await events.rest();
    expect(messages.at(-1)).toMatchObject({ event: 'status', data: { status: 'SUCCESS' } });
    for (const message of messages) spec.check('GET', `/v1/tasks/${train.body.task_id}/events`, 200, message, events.headers.get('content-type')!);
    const resumed = await raw('GET', `/v1/tasks/${train.body.task_id}/events`, { headers: { 'last-event-id': messages.at(-1)!.id! } });
    expect(resumed.status).toBe(204);

    expect((await call('POST', `/v1/tasks/${train.body.task_id}/cancel`)).status).toBe(409);
    expect((await call('POST', `/v1/tasks/${train.body.task_id}/retry`)).status).toBe(409);
    expect((await call('GET', '/v1/tasks?type=train&limit=1')).body.tasks.map((t: { task_id: string }) => t.task_id)).toEqual([train.body.task_id]);
    expect((await call('POST', '/v1/tasks:retry', { body: { type: 'train' } })).body).toEqual({ tasks: [] });

    const feed = await openSse(`${api.url}/v1/events?type=predict`);
    expect(feed.status).toBe(200);

    const predict = await call('POST', '/v1/predict', { body: { model: 'conform', inputs: [[5.1, 3.5, 1.4, 0.2]] }, headers: { prefer: 'wait=30' } });
    expect(predict.status).toBe(200);
    expect(predict.headers.get('preference-applied')).toBe('wait=30');
    const cached = await call('POST', '/v1/predict', { body: { model: 'conform', inputs: [[5.1, 3.5, 1.4, 0.2]] } });
    expect(cached.status).toBe(200);
    const fed = await feed.next();
    feed.close();
    expect(fed).toMatchObject({ data: { task_id: predict.body.task_id, type: 'predict', model: 'conform' } });
    spec.check('GET', '/v1/events', 200, fed, feed.headers.get('content-type')!);
    // An iris model has no text encoder: embedding with it is a documented 400.
    expect((await call('POST', '/v1/embed', { body: { model: 'conform', inputs: ['a text'] } })).status).toBe(400);

    expect((await call('GET', '/v1/models')).body.models.map((m: { name: string }) => m.name)).toContain('conform');
    expect((await call('GET', '/v1/models/conform')).status).toBe(200);
    expect((await call('GET', '/v1/models/conform/versions/latest')).body.version).toBe(1);
    expect((await call('PUT', '/v1/models/conform/aliases/prod', { body: { version: 1 } })).body.aliases).toEqual({ prod: 1 });
    expect((await call('GET', '/v1/models/conform/aliases/prod/stats')).status).toBe(200);
    expect((await call('DELETE', '/v1/models/conform/aliases/prod')).status).toBe(204);
    expect((await call('DELETE', '/v1/models/conform/cache')).body.dropped).toBeGreaterThanOrEqual(1);
  });

  it('for the Open Inference Protocol', async () => {
    expect((await call('GET', '/v2', { key: null })).body.name).toBe('trainyard');
    expect((await call('GET', '/v2/health/live', { key: null })).body.live).toBe(true);
    expect((await call('GET', '/v2/health/ready', { key: null })).body.ready).toBe(true);
    const metadata = await call('GET', '/v2/models/conform');
    expect(metadata.status).toBe(200);
    expect((await call('GET', '/v2/models/conform/versions/1')).status).toBe(200);
    expect((await call('GET', '/v2/models/conform/ready')).body.ready).toBe(true);
    expect((await call('GET', '/v2/models/conform/versions/1/ready')).body.ready).toBe(true);
    const infer = { inputs: [{ name: 'features', shape: [1, 4], datatype: 'FP32', data: [5.1, 3.5, 1.4, 0.2] }] };
    expect((await call('POST', '/v2/models/conform/infer', { body: infer })).body.outputs.length).toBe(2);
    expect((await call('POST', '/v2/models/conform/versions/1/infer', { body: infer })).status).toBe(200);
    expect((await call('GET', '/v2/models/missing')).status).toBe(404);
  });

  it('for datasets and batch predictions', async () => {
    const upload = await raw('PUT', '/v1/datasets/rows', { body: 'a,b,y\n1,2,3\n4,5,6\n', headers: { 'content-type': 'text/csv' } });
    expect(upload.status).toBe(201);
    expect((await call('GET', '/v1/datasets')).body.datasets.map((d: { name: string }) => d.name)).toContain('rows');
    expect((await call('GET', '/v1/datasets/rows')).body.rows).toBe(2);
    expect((await call('DELETE', '/v1/datasets/rows')).status).toBe(204);
    expect((await call('GET', '/v1/datasets/rows')).status).toBe(404);

    const batch = await call('POST', '/v1/batch-predictions', { body: { model: 'conform', dataset: { inline: [[5.1, 3.5, 1.4, 0.2], [6.7, 3, 5.2, 2.3]] } } });
    expect(batch.body).toMatchObject({ status: 'PENDING' });
    const early = await call('GET', `/v1/batch-predictions/${batch.body.task_id}/output`);
    expect([200, 409]).toContain(early.status);
    expect((await waitForTask(api.url, batch.body.task_id, ['SUCCESS', 'FAILURE'], 120_000)).status).toBe('SUCCESS');
    expect((await call('GET', `/v1/batch-predictions/${batch.body.task_id}`)).body.status).toBe('SUCCESS');
    const output = await raw('GET', `/v1/batch-predictions/${batch.body.task_id}/output`);
    expect(output.type).toMatch(/^text\/csv/);
    expect(output.text.trim().split('\n')).toHaveLength(3);
    expect((await raw('GET', `/v1/batch-predictions/${batch.body.task_id}/errors`)).text).toBe('row,error\n');
  });

  it('for the admin endpoints and the errors every keyed route shares', async () => {
    const created = await call('POST', '/v1/admin/keys', { body: { tenant: 'conform', name: 'reader', scopes: ['read'] } });
    expect(created.status).toBe(201);
    expect((await call('GET', '/v1/admin/keys?tenant=conform')).body.keys).toHaveLength(1);
    expect((await call('GET', '/v1/models', { key: null })).status).toBe(401);
    expect((await call('POST', '/v1/predict', { key: created.body.key, body: { model: 'conform', inputs: [[1, 2, 3, 4]] } })).status).toBe(403);
    expect((await call('POST', '/v1/train', { body: { model: 'conform' } })).body.error.code).toBe('invalid_request');
    expect((await call('DELETE', `/v1/admin/keys/${created.body.id}`)).status).toBe(204);
    expect((await call('GET', '/v1/admin/audit?limit=5')).body.entries.length).toBeGreaterThan(0);
    expect((await call('DELETE', '/v1/models/conform/versions/1')).status).toBe(204);
  });

  it('and no operation of the document went unanswered', () => {
    expect(spec.unchecked()).toEqual([]);
  });
});
