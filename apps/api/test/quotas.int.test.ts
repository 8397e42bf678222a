import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey } from '@trainyard/test-support/auth';
import { request } from '@trainyard/test-support/http';
import { startApi, type RunningProcess } from '@trainyard/test-support/processes';
import { deletePrefix, redisUrl, testPrefix } from '@trainyard/test-support/redis';

/**
 * Per-tenant quotas (tasks queued and running, dataset bytes) and the cost caps of one training,
 * all checked at submit time. No worker runs: every queued task stays queued.
 */

const prefix = testPrefix('quotas');
const storageDir = mkdtempSync(join(tmpdir(), 'ty-quotas-'));
const caps = {
  TENANT_MAX_TASKS: '3',
  TENANT_MAX_DATASET_BYTES: '1000',
  TRAIN_MAX_EPOCHS: '200',
  TRAIN_MAX_LAYERS: '2',
  TRAIN_MAX_UNITS: '32',
  TRAIN_MAX_CELLS: '100',
  TRAIN_MIN_BATCH_SIZE: '4',
  TRAIN_TIMEOUT_S: '300',
  TRAIN_TIMEOUT_MAX_S: '600',
};
let api: RunningProcess & { url: string };
const queue = new Queue('train', { connection: { url: redisUrl }, prefix });

beforeAll(async () => {
  api = await startApi({ QUEUE_PREFIX: prefix, STORAGE_URL: `file://${storageDir}`, ...caps });
});

afterAll(async () => {
  await api?.stop();
  await queue.close();
  await deletePrefix(prefix);
  rmSync(storageDir, { recursive: true, force: true });
});

const line = (params: object = {}, rows = 4) => ({
  model: 'line',
  algorithm: 'linear-regression',
  dataset: { inline: { features: Array.from({ length: rows }, (_, i) => [i, i]), labels: Array.from({ length: rows }, (_, i) => i) } },
  params,
});

describe('the quota of tasks queued and running', () => {
  it('refuses a tenant’s task over it with 429 quota_exceeded, leaves other tenants alone, and frees up as tasks end', async () => {
    const { key } = await createKey(api.url, { tenant: 'acme' });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const response = await request(`${api.url}/v1/train`, { body: line(), key });
      expect(response.status).toBe(202);
      ids.push(response.body.task_id);
    }
    const refused = await request(`${api.url}/v1/train`, { body: line(), key });
    expect(refused.status).toBe(429);
    expect(refused.body.error).toMatchObject({ code: 'quota_exceeded', message: expect.stringMatching(/tenant "acme" has 3 tasks queued or running/) });

    const other = await createKey(api.url, { tenant: 'globex' });
    expect((await request(`${api.url}/v1/train`, { body: line(), key: other.key })).status).toBe(202);

    expect((await request(`${api.url}/v1/tasks/${ids[0]}/cancel`, { method: 'POST', key })).status).toBe(200);
    expect((await request(`${api.url}/v1/train`, { body: line(), key })).status).toBe(202);
  });

  it('takes out a task whose end nobody recorded (retention removed it) once the tenant reaches its quota', async () => {
    const { key } = await createKey(api.url, { tenant: 'initech' });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await request(`${api.url}/v1/train`, { body: line(), key })).body.task_id);
    expect((await request(`${api.url}/v1/train`, { body: line(), key })).status).toBe(429);
    await queue.remove(ids[1]!);
    expect((await request(`${api.url}/v1/train`, { body: line(), key })).status).toBe(202);
    expect((await request(`${api.url}/v1/train`, { body: line(), key })).status).toBe(429);
  });
});

describe('the quota of dataset bytes', () => {
  const upload = (name: string, body: string | Buffer, key: string, headers: Record<string, string> = {}) =>
    request(`${api.url}/v1/datasets/${name}`, { method: 'PUT', body, key, headers: { 'content-type': 'text/csv', ...headers } });
  /** A CSV of exactly `bytes` bytes (a multiple of 4). */
  const csv = (bytes: number) => `a,b\n${'1,2\n'.repeat(bytes / 4 - 1)}`;

  it('refuses an upload that would take the tenant past it with 413, counting a replaced dataset out', async () => {
    const { key } = await createKey(api.url, { tenant: 'umbrella' });
    expect((await upload('first', csv(600), key)).status).toBe(201);
    const over = await upload('second', csv(600), key);
    expect(over.status).toBe(413);
    expect(over.body.error).toMatchObject({ code: 'storage_quota_exceeded', message: expect.stringMatching(/TENANT_MAX_DATASET_BYTES/) });
    // Compressed, it says nothing of its size until decoded: the quota still holds.
    expect((await upload('second', gzipSync(csv(600)), key, { 'content-encoding': 'gzip' })).status).toBe(413);
    // Replacing `first` by a larger one fits: its own bytes are not counted twice.
    expect((await upload('first', csv(900), key)).status).toBe(201);
    expect((await request(`${api.url}/v1/datasets/first`, { method: 'DELETE', key })).status).toBe(204);
    expect((await upload('second', csv(600), key)).status).toBe(201);
    // Another tenant has its own quota.
    const other = await createKey(api.url, { tenant: 'hooli' });
    expect((await upload('second', csv(600), other.key)).status).toBe(201);
  });
});

describe('the cost caps of a training', () => {
  it.each([
    ['epochs', line({ epochs: 201 }), 'params.epochs', /at most 200 epochs \(TRAIN_MAX_EPOCHS\)/],
    ['batch size', line({ batch_size: 2 }), 'params.batch_size', /at least 4 \(TRAIN_MIN_BATCH_SIZE\)/],
    ['hidden layers', { ...line({ hidden_units: [8, 8, 8] }), algorithm: 'mlp' }, 'params.hidden_units', /at most 2 hidden layers \(TRAIN_MAX_LAYERS\)/],
    ['units per layer', { ...line({ hidden_units: [8, 64] }), algorithm: 'mlp' }, 'params.hidden_units.1', /at most 32 units per layer \(TRAIN_MAX_UNITS\)/],
    ['rows × features, inline', line({}, 51), 'dataset', /51 rows × 2 values is 102, above the cap of 100 \(TRAIN_MAX_CELLS\)/],
    [
      'rows × tokens of a text model',
      { model: 'texts', algorithm: 'text-classifier', dataset: { inline: { texts: ['a', 'b', 'c', 'd'], labels: ['x', 'y', 'x', 'y'] } }, params: { max_length: 32, embedding_dim: 16 } },
      'dataset',
      /4 rows × 32 values is 128/,
    ],
    [
      'embedding width',
      { model: 'texts', algorithm: 'text-classifier', dataset: { inline: { texts: ['a', 'b'], labels: ['x', 'y'] } }, params: { embedding_dim: 64, max_length: 2 } },
      'params.embedding_dim',
      /at most 32 \(TRAIN_MAX_UNITS\)/,
    ],
  ] as const)('refuses a training over the cap on %s with 400 limit_exceeded naming it', async (_cap, body, path, message) => {
    const response = await request(`${api.url}/v1/train`, { body });
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('limit_exceeded');
    expect(response.body.error.issues).toEqual([{ path, message: expect.stringMatching(message) }]);
  });

  it('counts a stored dataset’s rows × feature columns from its metadata', async () => {
    const rows = Array.from({ length: 60 }, (_, i) => `${i},${i},${i % 2}`).join('\n');
    expect((await request(`${api.url}/v1/datasets/wide`, { method: 'PUT', body: `a,b,y\n${rows}\n`, headers: { 'content-type': 'text/csv' } })).status).toBe(201);
    const response = await request(`${api.url}/v1/train`, { body: { model: 'wide', algorithm: 'logistic-regression', dataset: { name: 'wide', target: 'y' } } });
    expect(response.status).toBe(400);
    expect(response.body.error.message).toBe('dataset: 60 rows × 2 values is 120, above the cap of 100 (TRAIN_MAX_CELLS)');
  });

  it('caps the deadline a training may ask for', async () => {
    const response = await request(`${api.url}/v1/train`, { body: { ...line(), timeout_s: 601 } });
    expect(response.status).toBe(400);
    expect(response.body.error.issues).toEqual([{ path: 'timeout_s', message: 'must be at most 600' }]);
  });
});

describe('the priorities a key may use', () => {
  it('refuses a more urgent priority than the key’s least with 403, and takes the rest', async () => {
    const { key } = await createKey(api.url, { tenant: 'stark', min_priority: 20 });
    const refused = await request(`${api.url}/v1/train`, { body: { ...line(), priority: 10 }, key });
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatchObject({ code: 'forbidden', issues: [{ path: 'priority', message: 'this API key may use priorities 20 to 100' }] });
    expect((await request(`${api.url}/v1/train`, { body: { ...line(), priority: 20 }, key })).status).toBe(202);
    expect((await request(`${api.url}/v1/train`, { body: line(), key })).status).toBe(202);
  });
});
