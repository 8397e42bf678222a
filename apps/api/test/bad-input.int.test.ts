import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelRegistry } from '@trainyard/shared/models';
import { FsObjectStore } from '@trainyard/shared/storage';
import { bearer, testAdminKey } from '@trainyard/test-support/auth';
import { request } from '@trainyard/test-support/http';
import { startApi, type RunningProcess } from '@trainyard/test-support/processes';
import { deletePrefix, redisUrl, testPrefix } from '@trainyard/test-support/redis';

const prefix = testPrefix('badinput');
const storageDir = mkdtempSync(join(tmpdir(), 'ty-badinput-'));
let api: RunningProcess & { url: string };

beforeAll(async () => {
  // A registered model, so predict requests reach input validation.
  const redis = new Redis(redisUrl);
  const store = new FsObjectStore(storageDir);
  await new ModelRegistry(redis, store, prefix).publish({
    model: 'flowers',
    version: 1,
    algorithm: 'logistic-regression',
    params: {},
    task: 'classification',
    feature_names: ['a', 'b'],
    classes: ['x', 'y'],
    metrics: {},
    size_bytes: 10,
    training_task_id: 'train-0',
    created_at: new Date().toISOString(),
  });
  redis.disconnect();
  api = await startApi({ QUEUE_PREFIX: prefix, STORAGE_URL: `file://${storageDir}`, BODY_LIMIT: '2kb' });
});

afterAll(async () => {
  await api?.stop();
  await deletePrefix(prefix);
  rmSync(storageDir, { recursive: true, force: true });
});

const inline = { inline: { features: [[1, 2], [3, 4]], labels: ['x', 'y'] } };
const train = (overrides: Record<string, unknown>) => ({ model: 'flowers', algorithm: 'logistic-regression', dataset: inline, ...overrides });

type Case = [name: string, path: string, body: unknown, status: number, code: string, issuePath?: string];

const cases: Case[] = [
  ['an empty object', '/v1/train', {}, 400, 'invalid_request'],
  ['an array body', '/v1/train', [], 400, 'invalid_request'],
  ['a model name with capitals', '/v1/train', train({ model: 'Flowers' }), 400, 'invalid_request', 'model'],
  ['a model name with a slash', '/v1/train', train({ model: '../etc' }), 400, 'invalid_request', 'model'],
  ['a 64-character model name', '/v1/train', train({ model: 'a'.repeat(64) }), 400, 'invalid_request', 'model'],
  ['an unknown algorithm', '/v1/train', train({ algorithm: 'svm' }), 400, 'invalid_request', 'algorithm'],
  ['an unknown parameter', '/v1/train', train({ params: { epochz: 3 } }), 400, 'invalid_request', 'params'],
  ['hidden_units on logistic regression', '/v1/train', train({ params: { hidden_units: [4] } }), 400, 'invalid_request', 'params'],
  ['zero epochs', '/v1/train', train({ params: { epochs: 0 } }), 400, 'invalid_request', 'params.epochs'],
  ['a fractional epoch count', '/v1/train', train({ params: { epochs: 1.5 } }), 400, 'invalid_request', 'params.epochs'],
  ['a negative learning rate', '/v1/train', train({ params: { learning_rate: -1 } }), 400, 'invalid_request', 'params.learning_rate'],
  ['priority 0', '/v1/train', train({ priority: 0 }), 400, 'invalid_request', 'priority'],
  ['priority 101', '/v1/train', train({ priority: 101 }), 400, 'invalid_request', 'priority'],
  ['labels that do not match the rows', '/v1/train', train({ dataset: { inline: { features: [[1], [2]], labels: ['x'] } } }), 400, 'invalid_request', 'dataset'],
  ['ragged feature rows', '/v1/train', train({ dataset: { inline: { features: [[1, 2], [3]], labels: ['x', 'y'] } } }), 400, 'invalid_request', 'dataset'],
  ['a non-numeric feature', '/v1/train', train({ dataset: { inline: { features: [['a', 2], [3, 4]], labels: ['x', 'y'] } } }), 400, 'invalid_request', 'dataset'],
  ['a dataset with both name and inline', '/v1/train', train({ dataset: { name: 'iris', target: 'species', ...inline } }), 400, 'invalid_request', 'dataset'],
  ['a dataset that does not exist', '/v1/train', train({ dataset: { name: 'no-such-data', target: 'y' } }), 404, 'not_found'],
  ['predict without inputs', '/v1/predict', { model: 'flowers' }, 400, 'invalid_request', 'inputs'],
  ['predict with empty inputs', '/v1/predict', { model: 'flowers', inputs: [] }, 400, 'invalid_request', 'inputs'],
  ['predict with a string input', '/v1/predict', { model: 'flowers', inputs: [['a', 'b']] }, 400, 'invalid_request', 'inputs.0'],
  ['predict with version 0', '/v1/predict', { model: 'flowers', version: 0, inputs: [[1, 2]] }, 400, 'invalid_request', 'version'],
  ['predict for a model that does not exist', '/v1/predict', { model: 'nothing-here', inputs: [[1, 2]] }, 404, 'not_found'],
  ['predict for a version that does not exist', '/v1/predict', { model: 'flowers', version: 7, inputs: [[1, 2]] }, 404, 'not_found'],
  ['predict with the wrong number of features', '/v1/predict', { model: 'flowers', inputs: [[1, 2, 3]] }, 400, 'invalid_request', 'inputs.0'],
  ['predict with a record missing a feature', '/v1/predict', { model: 'flowers', inputs: [{ a: 1 }] }, 400, 'invalid_request', 'inputs.0'],
  ['predict with an unknown feature name', '/v1/predict', { model: 'flowers', inputs: [{ a: 1, b: 2, c: 3 }] }, 400, 'invalid_request', 'inputs.0'],
];

const wellFormed = `ty_${'z'.repeat(43)}`;
const badKeys: [string, string | undefined][] = [
  ['no Authorization header', undefined],
  ['an empty Authorization header', ''],
  ['Basic credentials', `Basic ${Buffer.from('admin:secret').toString('base64')}`],
  ['"Bearer" and no key', 'Bearer'],
  ['"Bearer " and spaces', 'Bearer    '],
  ['a key that was never made', `Bearer ${wellFormed}`],
  ['a key one character short', `Bearer ${testAdminKey.slice(0, -1)}`],
  ['a key one character long', `Bearer ${testAdminKey}0`],
  ['a key with another prefix', `Bearer tk_${testAdminKey.slice(3)}`],
  ['a key with base64 padding', `Bearer ${testAdminKey.slice(0, -1)}=`],
  ['two keys', `Bearer ${testAdminKey} ${testAdminKey}`],
  ['the key without a scheme', testAdminKey],
  ['a token scheme', `Token ${testAdminKey}`],
];

const newKey = { tenant: 'acme', name: 'ci', scopes: ['read'] };
const badNewKeys: [string, string, unknown][] = [
  ['no tenant', 'tenant', { name: 'ci', scopes: ['read'] }],
  ['a tenant name with capitals', 'tenant', { ...newKey, tenant: 'Acme' }],
  ['a tenant name with a slash', 'tenant', { ...newKey, tenant: '../acme' }],
  ['a tenant named __proto__', 'tenant', { ...newKey, tenant: '__proto__' }],
  ['no scopes', 'scopes', { ...newKey, scopes: [] }],
  ['an unknown scope', 'scopes.0', { ...newKey, scopes: ['root'] }],
  ['an empty name', 'name', { ...newKey, name: '  ' }],
  ['a name of 101 characters', 'name', { ...newKey, name: 'n'.repeat(101) }],
  ['an expiry in the past', 'expires_at', { ...newKey, expires_at: '2020-01-01T00:00:00Z' }],
  ['an expiry that is no date', 'expires_at', { ...newKey, expires_at: 'next week' }],
  ['min_priority 0', 'min_priority', { ...newKey, min_priority: 0 }],
  ['min_priority 101', 'min_priority', { ...newKey, min_priority: 101 }],
  ['an unknown field', '(body)', { ...newKey, admin: true }],
];

describe('bad input gets a clear JSON error and is never enqueued', () => {
  it.each(cases)('%s', async (_name, path, body, status, code, issuePath) => {
    const response = await request(`${api.url}${path}`, { body });
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.body.error.code).toBe(code);
    expect(response.body.error.message).toEqual(expect.any(String));
    if (issuePath) expect(response.body.error.issues.map((i: { path: string }) => i.path).join(' ')).toContain(issuePath);
  });

  it('malformed JSON is a 400 invalid_json', async () => {
    const response = await request(`${api.url}/v1/train`, { body: '{"model": ' });
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('invalid_json');
  });

  it('a body over the limit is a 413', async () => {
    const response = await request(`${api.url}/v1/predict`, { body: { model: 'flowers', inputs: Array(500).fill([1, 2]) } });
    expect(response.status).toBe(413);
    expect(response.body.error.code).toBe('payload_too_large');
  });

  it('a body that is not JSON is a 415', async () => {
    const response = await request(`${api.url}/v1/train`, { body: 'model=iris', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(response.status).toBe(415);
    expect(response.body.error.code).toBe('unsupported_media_type');
  });

  it('a POST without a body is a 400', async () => {
    const response = await request(`${api.url}/v1/train`, { method: 'POST' });
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('invalid_request');
  });

  it('a path with invalid percent-encoding is a 400, not a 500', async () => {
    const response = await request(`${api.url}/v1/tasks/%FF`);
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('invalid_request');
  });

  it.each(['gzip', 'br', 'deflate'])('a corrupt %s body is a 400, not a 500', async (encoding) => {
    const response = await fetch(`${api.url}/v1/train`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': encoding, ...bearer() },
      body: Buffer.from('this is not compressed at all'),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('invalid_request');
  });

  it('an unknown route is a JSON 404', async () => {
    const response = await request(`${api.url}/v2/everything`);
    expect(response.status).toBe(404);
    expect(response.body.error.code).toBe('not_found');
  });

  it.each(['train-0123', 'predict-' + 'f'.repeat(32), '..%2F..%2Fetc', 'x'.repeat(300)])('an unknown task id %s is a 404', async (id) => {
    const response = await request(`${api.url}/v1/tasks/${id}`);
    expect(response.status).toBe(404);
    expect(response.body.error.code).toBe('not_found');
  });

  it.each(badKeys)('%s is a 401 with a Bearer challenge', async (_what, authorization) => {
    const response = await request(`${api.url}/v1/train`, { body: train({}), key: null, headers: authorization === undefined ? {} : { authorization } });
    expect(response.status).toBe(401);
    expect(response.body.error.code).toBe('unauthorized');
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm="trainyard"/);
  });

  it('the scheme name is case-insensitive (RFC 9110): "bearer" works as "Bearer"', async () => {
    expect((await request(`${api.url}/v1/models`, { key: null, headers: { authorization: `bearer ${testAdminKey}` } })).status).toBe(200);
  });

  it.each(badNewKeys)('a new key with %s is a 400 naming %s', async (_what, path, body) => {
    const response = await request(`${api.url}/v1/admin/keys`, { body });
    expect(response.status).toBe(400);
    expect(response.body.error.issues.map((issue: { path: string }) => issue.path)).toContain(path);
  });

  it.each([
    ['a key id that is not one', 'DELETE', '/v1/admin/keys/not-a-key', 'id'],
    ['an audit page before an id that is not one', 'GET', '/v1/admin/audit?before=yesterday', 'query'],
    ['an audit page of 5,000 entries', 'GET', '/v1/admin/audit?limit=5000', 'query'],
    ['an audit page of -1 entries', 'GET', '/v1/admin/audit?limit=-1', 'query'],
    ['an unknown audit filter', 'GET', '/v1/admin/audit?actor=me', 'query'],
    ['a tenant filter that is no tenant name', 'GET', '/v1/admin/keys?tenant=Not%20One', 'query'],
    ['a cache drop of version 0', 'DELETE', '/v1/models/flowers/cache?version=0', 'version'],
    ['a cache drop of version abc', 'DELETE', '/v1/models/flowers/cache?version=abc', 'version'],
    ['an alias named __proto__', 'PUT', '/v1/models/flowers/aliases/__proto__', 'alias'],
    ['a dataset named __proto__', 'GET', '/v1/datasets/__proto__', 'name'],
    ['a model named __proto__', 'GET', '/v1/models/__proto__', 'name'],
  ])('%s is a 400 naming %s', async (_what, method, path, named) => {
    const response = await request(`${api.url}${path}`, { method, ...(method === 'PUT' ? { body: { version: 1 } } : {}) });
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('invalid_request');
    expect(JSON.stringify(response.body.error)).toContain(named);
  });

  it.each([
    ['an alias named constructor', 'DELETE', '/v1/models/flowers/aliases/constructor'],
    ['an alias named constructor, moved to a version that is not there', 'PUT', '/v1/models/flowers/aliases/constructor'],
    ['a version named constructor', 'GET', '/v1/models/flowers/versions/constructor'],
    ['a version named tostring', 'GET', '/v1/models/flowers/versions/tostring'],
    ['a dataset named constructor', 'GET', '/v1/datasets/constructor'],
    ['a dataset named constructor, deleted', 'DELETE', '/v1/datasets/constructor'],
    ['a model named constructor', 'GET', '/v1/models/constructor'],
  ])('%s is plain data: a 404, as for any name that is not there', async (_what, method, path) => {
    const response = await request(`${api.url}${path}`, { method, ...(method === 'PUT' ? { body: { version: 99 } } : {}) });
    expect(response.status).toBe(404);
    expect(response.body.error.code).toBe('not_found');
  });

  it.each([
    ['a value too large for a number (1e400)', 'a,b,c\n1,2,x\n3,1e400,y\n', /line 3, column "b": 1e400 is out of range/],
    ['a negative one (-1e999)', 'a,b\n-1e999,2\n3,4\n', /line 2, column "a": -1e999 is out of range/],
  ])('an uploaded CSV with %s is a 400 naming line and column', async (_what, csv, message) => {
    const response = await request(`${api.url}/v1/datasets/overflow`, { method: 'PUT', body: csv, headers: { 'content-type': 'text/csv' } });
    expect(response.status).toBe(400);
    expect(response.body.error).toMatchObject({ code: 'invalid_data', message: expect.stringMatching(message) });
  });

  it('an inline training value of 1e400 (Infinity once parsed) is a 400 naming it', async () => {
    const response = await request(`${api.url}/v1/train`, { body: '{"model":"m","algorithm":"linear-regression","dataset":{"inline":{"features":[[1],[1e400]],"labels":[1,2]}}}' });
    expect(response.status).toBe(400);
    expect(response.body.error.issues.map((issue: { path: string }) => issue.path).join(' ')).toContain('dataset');
  });

  it.each([
    ['gzip', gzipSync],
    ['br', brotliCompressSync],
    ['deflate', deflateSync],
  ] as const)('a %s-encoded dataset upload is decoded, not stored compressed', async (encoding, compress) => {
    const response = await request(`${api.url}/v1/datasets/packed-${encoding}`, {
      method: 'PUT',
      body: compress(Buffer.from('a,b\n1,2\n3,4\n')),
      headers: { 'content-type': 'text/csv', 'content-encoding': encoding },
    });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ rows: 2, columns: [{ name: 'a', type: 'number' }, { name: 'b', type: 'number' }] });
  });

  it.each(['gzip', 'br'])('a corrupt %s dataset upload is a 400', async (encoding) => {
    const response = await request(`${api.url}/v1/datasets/corrupt`, { method: 'PUT', body: 'a,b\n1,2\n', headers: { 'content-type': 'text/csv', 'content-encoding': encoding } });
    expect(response.status).toBe(400);
    expect(response.body.error).toMatchObject({ code: 'invalid_request', message: `the upload is not valid ${encoding}` });
  });

  it('a dataset upload in an encoding the API does not decode is a 415', async () => {
    const response = await request(`${api.url}/v1/datasets/squeezed`, { method: 'PUT', body: 'a,b\n1,2\n', headers: { 'content-type': 'text/csv', 'content-encoding': 'compress' } });
    expect(response.status).toBe(415);
    expect(response.body.error.message).toMatch(/Content-Encoding "compress"/);
  });

  it('nothing was enqueued by any of the rejected requests', async () => {
    const counts = await Promise.all(
      ['train', 'predict'].map(async (name) => {
        const queue = new Queue(name, { connection: { url: redisUrl }, prefix });
        const count = await queue.count();
        await queue.close();
        return count;
      }),
    );
    expect(counts).toEqual([0, 0]);
  });
});
