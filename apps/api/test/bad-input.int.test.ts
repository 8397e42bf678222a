import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelRegistry } from '@trainyard/shared/models';
import { FsObjectStore } from '@trainyard/shared/storage';
import { bearer } from '@trainyard/test-support/auth';
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
