import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelRegistry, type ModelVersion } from '@trainyard/shared/models';
import { FsObjectStore } from '@trainyard/shared/storage';
import { bearer, createKey } from '@trainyard/test-support/auth';
import { request } from '@trainyard/test-support/http';
import { startApi, type RunningProcess } from '@trainyard/test-support/processes';
import { deletePrefix, redisUrl, testPrefix } from '@trainyard/test-support/redis';

/**
 * The access matrix, against two API replicas: every /v1 endpoint × (no key, unknown key, revoked
 * key, a key without the endpoint's scope, a key of another tenant) → 401, 401, 401, 403, and 404
 * exactly as for a resource that does not exist. Tenant `default` owns every resource here; no
 * worker runs, so its task stays PENDING, and nothing another tenant tries changes any of it.
 */

const prefix = testPrefix('access');
const storageDir = mkdtempSync(join(tmpdir(), 'ty-access-'));
let apis: (RunningProcess & { url: string })[] = [];
let taskId: string;
let batchId: string;
const keys: Record<'acme' | 'revoked' | 'read' | 'submit' | 'readSubmit' | 'noAdmin', string> = {} as never;

const version = (v: number): ModelVersion => ({
  model: 'flowers',
  version: v,
  algorithm: 'logistic-regression',
  params: {},
  task: 'classification',
  feature_names: ['a', 'b'],
  classes: ['x', 'y'],
  metrics: {},
  size_bytes: 10,
  training_task_id: `train-${v}`,
  created_at: new Date().toISOString(),
});

const csv = 'a,b,side\n1,2,top\n3,4,bottom\n';

beforeAll(async () => {
  const redis = new Redis(redisUrl);
  const registry = new ModelRegistry(redis, new FsObjectStore(storageDir), prefix);
  await registry.publish(version(1));
  await registry.publish(version(2));
  await registry.setAlias('flowers', 'production', 1);
  redis.disconnect();

  const env = { QUEUE_PREFIX: prefix, STORAGE_URL: `file://${storageDir}` };
  apis = await Promise.all([startApi(env), startApi(env)]);
  const [a] = apis;
  for (const name of ['points', 'shared']) {
    expect((await request(`${a!.url}/v1/datasets/${name}`, { method: 'PUT', body: csv, headers: { 'content-type': 'text/csv' } })).status).toBe(201);
  }
  const submitted = await request(`${a!.url}/v1/train`, { body: { model: 'flowers', algorithm: 'logistic-regression', dataset: { name: 'points', target: 'side' } } });
  expect(submitted.status).toBe(202);
  taskId = submitted.body.task_id;
  const batch = await request(`${a!.url}/v1/batch-predictions`, { body: { model: 'flowers', dataset: 'points', output: 'csv' } });
  expect(batch.status).toBe(202);
  batchId = batch.body.task_id;

  const scoped = async (tenant: string, scopes: ('read' | 'submit' | 'manage' | 'admin')[]) => (await createKey(a!.url, { tenant, scopes })).key;
  keys.acme = await scoped('acme', ['read', 'submit', 'manage']);
  keys.read = await scoped('default', ['read']);
  keys.submit = await scoped('default', ['submit']);
  keys.readSubmit = await scoped('default', ['read', 'submit']);
  keys.noAdmin = await scoped('default', ['read', 'submit', 'manage']);
  const revoked = await createKey(a!.url, { tenant: 'default', scopes: ['admin'] });
  expect((await request(`${a!.url}/v1/admin/keys/${revoked.id}`, { method: 'DELETE' })).status).toBe(204);
  keys.revoked = revoked.key;
});

afterAll(async () => {
  await Promise.all(apis.map((api) => api.stop()));
  await deletePrefix(prefix);
  rmSync(storageDir, { recursive: true, force: true });
});

interface Endpoint {
  method: string;
  path: () => string;
  body?: unknown;
  contentType?: string;
  /** A key with every scope but this endpoint's. */
  lacking: keyof typeof keys;
  /** What another tenant's key gets; a 404 unless said otherwise. */
  otherTenant?: (status: number, body: any) => void;
}

const unknownKey = `ty_${'x'.repeat(43)}`;
const train = { model: 'flowers', algorithm: 'logistic-regression', dataset: { name: 'points', target: 'side' } };
const notListed = (list: string, name: string) => (status: number, body: any) => {
  expect(status).toBe(200);
  expect(body[list].map((item: { name: string }) => item.name)).not.toContain(name);
};

const endpoints: Record<string, Endpoint> = {
  'POST /v1/train (a dataset of the tenant)': { method: 'POST', path: () => '/v1/train', body: train, lacking: 'read' },
  'POST /v1/predict (a model of the tenant)': { method: 'POST', path: () => '/v1/predict', body: { model: 'flowers', inputs: [[1, 2]] }, lacking: 'read' },
  'POST /v1/embed': { method: 'POST', path: () => '/v1/embed', body: { model: 'flowers', inputs: ['a text'] }, lacking: 'read' },
  'GET /v1/tasks/{id}': { method: 'GET', path: () => `/v1/tasks/${taskId}`, lacking: 'submit' },
  'GET /v1/tasks/{id}?wait=1': { method: 'GET', path: () => `/v1/tasks/${taskId}?wait=1`, lacking: 'submit' },
  'GET /v1/tasks/{id}/events': { method: 'GET', path: () => `/v1/tasks/${taskId}/events`, lacking: 'submit' },
  'POST /v1/tasks/{id}/cancel': { method: 'POST', path: () => `/v1/tasks/${taskId}/cancel`, lacking: 'readSubmit' },
  'GET /v1/datasets': { method: 'GET', path: () => '/v1/datasets', lacking: 'submit', otherTenant: notListed('datasets', 'points') },
  'GET /v1/datasets/{name}': { method: 'GET', path: () => '/v1/datasets/points', lacking: 'submit' },
  'PUT /v1/datasets/{name} (the same name is the tenant’s own)': {
    method: 'PUT',
    path: () => '/v1/datasets/shared',
    body: 'x,y\n9,9\n8,8\n',
    contentType: 'text/csv',
    lacking: 'readSubmit',
    otherTenant: (status) => expect(status).toBe(201),
  },
  'DELETE /v1/datasets/{name}': { method: 'DELETE', path: () => '/v1/datasets/points', lacking: 'readSubmit' },
  'GET /v1/models': { method: 'GET', path: () => '/v1/models', lacking: 'submit', otherTenant: notListed('models', 'flowers') },
  'GET /v1/models/{name}': { method: 'GET', path: () => '/v1/models/flowers', lacking: 'submit' },
  'GET /v1/models/{name}/versions/{version}': { method: 'GET', path: () => '/v1/models/flowers/versions/production', lacking: 'submit' },
  'DELETE /v1/models/{name}/versions/{version}': { method: 'DELETE', path: () => '/v1/models/flowers/versions/2', lacking: 'readSubmit' },
  'PUT /v1/models/{name}/aliases/{alias}': { method: 'PUT', path: () => '/v1/models/flowers/aliases/production', body: { version: 2 }, lacking: 'readSubmit' },
  'DELETE /v1/models/{name}/aliases/{alias}': { method: 'DELETE', path: () => '/v1/models/flowers/aliases/production', lacking: 'readSubmit' },
  'DELETE /v1/models/{name}/cache': { method: 'DELETE', path: () => '/v1/models/flowers/cache', lacking: 'readSubmit' },
  'POST /v1/batch-predictions': { method: 'POST', path: () => '/v1/batch-predictions', body: { model: 'flowers', dataset: 'points', output: 'jsonl' }, lacking: 'read' },
  'GET /v1/batch-predictions/{id}': { method: 'GET', path: () => `/v1/batch-predictions/${batchId}`, lacking: 'submit' },
  'GET /v1/batch-predictions/{id}/output': { method: 'GET', path: () => `/v1/batch-predictions/${batchId}/output`, lacking: 'submit' },
  'GET /v2/models/{name}': { method: 'GET', path: () => '/v2/models/flowers', lacking: 'submit' },
  'GET /v2/models/{name}/ready': { method: 'GET', path: () => '/v2/models/flowers/ready', lacking: 'submit' },
  'POST /v2/models/{name}/infer': {
    method: 'POST',
    path: () => '/v2/models/flowers/infer',
    body: { inputs: [{ name: 'input-0', shape: [1, 2], datatype: 'FP32', data: [1, 2] }] },
    lacking: 'read',
  },
  'POST /v1/admin/keys': { method: 'POST', path: () => '/v1/admin/keys', body: { tenant: 'acme', name: 'x', scopes: ['admin'] }, lacking: 'noAdmin' },
  'GET /v1/admin/keys': { method: 'GET', path: () => '/v1/admin/keys', lacking: 'noAdmin' },
  'DELETE /v1/admin/keys/{id}': { method: 'DELETE', path: () => '/v1/admin/keys/key_0000000000000000', lacking: 'noAdmin' },
  'GET /v1/admin/audit': { method: 'GET', path: () => '/v1/admin/audit', lacking: 'noAdmin' },
};

/** The inference protocol (/v2) answers errors as `{ "error": "…" }`: its status says which. */
function expectError(endpoint: Endpoint, body: any, code: string): void {
  if (endpoint.path().startsWith('/v2/')) expect(body.error).toEqual(expect.any(String));
  else expect(body.error.code).toBe(code);
}

async function call(api: { url: string }, endpoint: Endpoint, key: string | null) {
  const { method, body, contentType } = endpoint;
  const headers = contentType ? { 'content-type': contentType } : {};
  return request(`${api.url}${endpoint.path()}`, { method, body, headers, key });
}

describe.each(['A', 'B'])('on API replica %s', (replica) => {
  const api = () => apis[replica === 'A' ? 0 : 1]!;

  describe.each(Object.entries(endpoints))('%s', (_name, endpoint) => {
    it('answers 401 with a Bearer challenge without a key, with an unknown key and with a revoked one', async () => {
      for (const key of [null, unknownKey, keys.revoked]) {
        const response = await call(api(), endpoint, key);
        expect(response.status, `key ${key}`).toBe(401);
        expectError(endpoint, response.body, 'unauthorized');
        expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm="trainyard"/);
      }
    });

    it('answers 403 to a key without its scope', async () => {
      const response = await call(api(), endpoint, keys[endpoint.lacking]);
      expect(response.status).toBe(403);
      expectError(endpoint, response.body, 'forbidden');
      expect(response.headers.get('www-authenticate')).toMatch(/error="insufficient_scope"/);
    });

    // The admin endpoints reach across tenants by design: for them the admin scope is the whole check.
    if (endpoint.path().startsWith('/v1/admin/')) return;
    it("answers another tenant's key as if the resource did not exist", async () => {
      const response = await call(api(), endpoint, keys.acme);
      if (endpoint.otherTenant) endpoint.otherTenant(response.status, response.body);
      else {
        expect(response.status).toBe(404);
        expectError(endpoint, response.body, 'not_found');
      }
    });
  });
});

describe("after every other tenant's attempt", () => {
  it("tenant default's task, datasets, versions and alias are as they were", async () => {
    const api = apis[0]!;
    expect((await request(`${api.url}/v1/tasks/${taskId}`)).body.status).toBe('PENDING');
    const model = await request(`${api.url}/v1/models/flowers`);
    expect(model.body).toMatchObject({ latest_version: 2, aliases: { production: 1 } });
    expect((await request(`${api.url}/v1/datasets/points`)).body).toMatchObject({ rows: 2 });
    expect((await request(`${api.url}/v1/datasets/shared`)).body.columns.map((c: { name: string }) => c.name)).toEqual(['a', 'b', 'side']);
    // The other tenant's own dataset of the same name is its own.
    expect((await request(`${api.url}/v1/datasets/shared`, { key: keys.acme })).body.columns.map((c: { name: string }) => c.name)).toEqual(['x', 'y']);
  });

  it("an admin key reaches another tenant's resources only through /v1/admin", async () => {
    const api = apis[1]!;
    const theirs = await request(`${api.url}/v1/predict`, { body: { model: 'flowers', inputs: [[1, 2]] }, key: keys.acme });
    expect(theirs.status).toBe(404);
    const acmeTask = await request(`${api.url}/v1/train`, { body: { ...train, dataset: { name: 'shared', target: 'y' } }, key: keys.acme });
    expect(acmeTask.status).toBe(202);
    expect((await request(`${api.url}/v1/tasks/${acmeTask.body.task_id}`)).status).toBe(404);
    expect((await request(`${api.url}/v1/tasks/${acmeTask.body.task_id}`, { key: keys.acme })).status).toBe(200);
    const listed = await request(`${api.url}/v1/admin/keys?tenant=acme`);
    expect(listed.body.keys.map((key: { tenant: string }) => key.tenant)).toEqual(['acme']);
  });

  it('no answer carries X-Powered-By', async () => {
    for (const path of ['/health', '/v1/models', '/v1/nothing', '/admin/queues']) {
      const response = await fetch(`${apis[0]!.url}${path}`, { headers: bearer() });
      expect(response.headers.get('x-powered-by'), path).toBeNull();
    }
  });
});
