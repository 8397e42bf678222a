import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TaskResource } from '@trainyard/shared/tasks';
import { bearer } from '@trainyard/test-support/auth';
import { request } from '@trainyard/test-support/http';
import { startApi, startWorker, type RunningProcess } from '@trainyard/test-support/processes';
import { deletePrefix, testPrefix } from '@trainyard/test-support/redis';
import { pollUntil, submit, tempStorage } from '@trainyard/test-support/stack';

const prefix = testPrefix('text');
const storage = tempStorage('text');
let api: RunningProcess & { url: string };
let worker: RunningProcess;

beforeAll(async () => {
  const env = { QUEUE_PREFIX: prefix, STORAGE_URL: storage.url };
  [api, worker] = await Promise.all([startApi(env), startWorker(env)]);
});

afterAll(async () => {
  await Promise.all([api?.stop(), worker?.stop()]);
  await deletePrefix(prefix);
  storage.remove();
});

const finished = (task: TaskResource) => ['SUCCESS', 'FAILURE'].includes(task.status);

async function run(path: '/v1/train' | '/v1/predict', body: unknown): Promise<TaskResource> {
  const taskId = await submit(api.url, path, body);
  return (await pollUntil(api.url, taskId, finished, 60_000)).task;
}

const clear = [
  ['I was charged twice for my subscription, please refund me', 'billing'],
  ['the app crashes every time I open the settings screen', 'technical'],
  ['my parcel has not arrived after two weeks', 'shipping'],
  ['I forgot my password and cannot sign in', 'account'],
] as const;

describe('the text classifier over the real API and worker', () => {
  it('trains on the built-in tickets sample: accuracy and macro F1 ≥ 0.85 on the held-out fifth', async () => {
    const task = await run('/v1/train', {
      model: 'triage',
      algorithm: 'text-classifier',
      dataset: { name: 'tickets', text: 'text', target: 'label' },
      params: { seed: 2 },
    });
    expect(task.status).toBe('SUCCESS');
    const result = task.result as { version: number; algorithm: string; metrics: Record<string, number> };
    expect(result).toMatchObject({ version: 1, algorithm: 'text-classifier' });
    expect(result.metrics.accuracy).toBeGreaterThanOrEqual(0.85);
    expect(result.metrics.f1_macro).toBeGreaterThanOrEqual(0.85);
  });

  it('labels clear tickets sent as texts', async () => {
    const task = await run('/v1/predict', { model: 'triage', inputs: clear.map(([text]) => text) });
    expect(task.status).toBe('SUCCESS');
    const result = task.result as { model: string; version: number; predictions: { label: string; probabilities: Record<string, number> }[] };
    expect(result).toMatchObject({ model: 'triage', version: 1 });
    expect(result.predictions.map((p) => p.label)).toEqual(clear.map(([, label]) => label));
    expect(Object.keys(result.predictions[0]!.probabilities).sort()).toEqual(['account', 'billing', 'shipping', 'technical']);
  });

  it('returns embeddings with "output":"embedding": the hashed TF-IDF vector (256) and the class part (4)', async () => {
    const task = await run('/v1/predict', { model: 'triage', inputs: ['refund my order', 'refund my order', ''], output: 'embedding' });
    expect(task.status).toBe('SUCCESS');
    const result = task.result as { model: string; version: number; embeddings: number[][]; predictions?: unknown };
    expect(result).toMatchObject({ model: 'triage', version: 1 });
    expect(result.predictions).toBeUndefined();
    expect(result.embeddings).toHaveLength(3);
    expect(result.embeddings[0]).toHaveLength(256 + 4);
    expect(result.embeddings[1]).toEqual(result.embeddings[0]);
    expect(result.embeddings[0]!.some((x) => x !== 0)).toBe(true);
    expect(result.embeddings[2]).toEqual(new Array(256 + 4).fill(0));
  });

  it('trains from inline texts', async () => {
    const texts = ['great product', 'love it', 'works great', 'terrible product', 'hate it', 'broke, terrible'];
    const labels = ['positive', 'positive', 'positive', 'negative', 'negative', 'negative'];
    const task = await run('/v1/train', {
      model: 'mood',
      algorithm: 'text-classifier',
      dataset: { inline: { texts, labels } },
      params: { seed: 1, epochs: 60, min_count: 1, validation_split: 0, learning_rate: 0.1 },
    });
    expect(task.status).toBe('SUCCESS');
    const prediction = await run('/v1/predict', { model: 'mood', inputs: ['great', 'terrible'] });
    expect((prediction.result as { predictions: { label: string }[] }).predictions.map((p) => p.label)).toEqual(['positive', 'negative']);
  });
});

describe('an uploaded text dataset', () => {
  it('trains by name with its text column named, other columns ignored', async () => {
    const reviews = [
      ['id', 'review', 'stars'],
      ...Array.from({ length: 12 }, (_, i) => [String(i), i % 2 ? '"Broke after a day, awful"' : '"Works great, love it"', i % 2 ? '1' : '5']),
    ];
    const uploaded = await fetch(`${api.url}/v1/datasets/reviews`, {
      method: 'PUT',
      headers: { 'content-type': 'text/csv', ...bearer() },
      body: reviews.map((row) => row.join(',')).join('\n') + '\n',
    });
    expect(uploaded.status).toBe(201);
    const task = await run('/v1/train', {
      model: 'stars',
      algorithm: 'text-classifier',
      dataset: { name: 'reviews', text: 'review', target: 'stars' },
      params: { seed: 3, epochs: 30, validation_split: 0, learning_rate: 0.1 },
    });
    expect(task.status).toBe('SUCCESS');
    const prediction = await run('/v1/predict', { model: 'stars', inputs: ['awful', 'love it'] });
    // Numeric labels stay numbers, as for tabular targets.
    expect((prediction.result as { predictions: { label: number }[] }).predictions.map((p) => p.label)).toEqual([1, 5]);
  });
});

describe('a mismatch between model and input is a 400 at submit', () => {
  beforeAll(async () => {
    // A tabular model to send texts to.
    const task = await run('/v1/train', {
      model: 'flowers',
      algorithm: 'logistic-regression',
      dataset: { name: 'iris', target: 'species' },
      params: { epochs: 2, seed: 1 },
    });
    expect(task.status).toBe('SUCCESS');
  });

  it.each([
    ['feature rows to a text model', { model: 'triage', inputs: [[1, 2, 3, 4]] }, 'inputs.0'],
    ['texts to a tabular model', { model: 'flowers', inputs: ['a flower'] }, 'inputs.0'],
    ['an embedding from a tabular model', { model: 'flowers', inputs: [[5.1, 3.5, 1.4, 0.2]], output: 'embedding' }, 'output'],
    ['an unknown output', { model: 'triage', inputs: ['hi'], output: 'logits' }, 'output'],
  ])('%s', async (_name, body, path) => {
    const response = await request(`${api.url}/v1/predict`, { body });
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('invalid_request');
    expect(response.body.error.issues.map((issue: { path: string }) => issue.path)).toContain(path);
  });

  it.each([
    ['a text dataset without its text column', { name: 'tickets', target: 'label' }],
    ['inline feature rows', { inline: { features: [[1], [2]], labels: ['a', 'b'] } }],
  ])('text-classifier refuses %s', async (_name, dataset) => {
    const response = await request(`${api.url}/v1/train`, { body: { model: 'triage', algorithm: 'text-classifier', dataset } });
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('invalid_request');
  });

  it('a dataset that does not exist is a 404', async () => {
    const response = await request(`${api.url}/v1/train`, {
      body: { model: 'triage', algorithm: 'text-classifier', dataset: { name: 'no-such-texts', text: 'text', target: 'label' } },
    });
    expect(response.status).toBe(404);
  });
});
