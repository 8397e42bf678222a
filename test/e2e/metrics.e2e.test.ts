import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, waitForTask } from '@trainyard/test-support/http';
import { startApi, startWorker, type RunningProcess } from '@trainyard/test-support/processes';
import { deletePrefix, testPrefix } from '@trainyard/test-support/redis';
import { submit, tempStorage, trainIris } from '@trainyard/test-support/stack';

const prefix = testPrefix('metrics');
const storage = tempStorage('metrics');
let api: RunningProcess & { url: string };
let worker: RunningProcess;
/** Receives the webhook a training asks for. */
let receiver: Server;
let apiMetrics: string;
let workerMetrics: string;

/** Where a process serves its metrics, from its "metrics listening" log line. */
async function metricsUrl(process: RunningProcess): Promise<string> {
  return (JSON.parse(await process.waitForLine(/metrics listening/)) as { url: string }).url;
}

const scrape = async (url: string) => {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return response.text();
};

/** The value of one series, by its name and exact labels (in any order). */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^(\w+)\{([^}]*)\} (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries([...match[2]!.matchAll(/(\w+)="([^"]*)"/g)].map(([, key, value]) => [key, value]));
    if (Object.entries(labels).every(([key, value]) => found[key] === value)) return Number(match[3]);
  }
  return undefined;
}

beforeAll(async () => {
  receiver = createServer((_req, res) => res.writeHead(204).end()).listen(0, '127.0.0.1');
  await once(receiver, 'listening');
  const webhook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  const env = { QUEUE_PREFIX: prefix, STORAGE_URL: storage.url, METRICS_PORT: '0', WEBHOOK_ALLOW_HOSTS: '127.0.0.1' };
  [api, worker] = await Promise.all([startApi(env), startWorker({ ...env, METRICS_MODEL_LABELS: 'iris' })]);
  const trained = await Promise.all([
    submit(api.url, '/v1/train', { ...trainIris('iris', { epochs: 40 }), notify: { webhook } }),
    submit(api.url, '/v1/train', trainIris('unlisted', { epochs: 40 })),
  ]);
  for (const id of trained) expect((await waitForTask(api.url, id)).status).toBe('SUCCESS');
  const predict = () => request(`${api.url}/v1/predict`, { body: { model: 'iris', inputs: [[5.1, 3.5, 1.4, 0.2]] }, headers: { prefer: 'wait=30' } });
  expect((await predict()).status).toBe(200);
  // The same rows again: answered from the cache.
  expect((await predict()).body.result.cached).toBe(true);
  await request(`${api.url}/v1/tasks/${trained[0]}`);
  apiMetrics = await scrape(await metricsUrl(api));
  // The webhook goes out after the task has finished: scrape until its delivery is counted.
  for (const until = Date.now() + 30_000; Date.now() < until; await sleep(100)) {
    workerMetrics = await scrape(await metricsUrl(worker));
    if (sample(workerMetrics, 'trainyard_notification_deliveries_total', { channel: 'webhook', outcome: 'delivered' })) break;
  }
}, 120_000);

afterAll(async () => {
  await Promise.all([api?.stop(), worker?.stop()]);
  receiver?.close();
  await deletePrefix(prefix);
  storage.remove();
});

describe('metrics', () => {
  it('are served on their own loopback listener, never on the public port', async () => {
    expect(await metricsUrl(api)).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect(await metricsUrl(worker)).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect((await request(`${api.url}/metrics`)).status).toBe(404);
  });

  it('time API requests by route template and status', () => {
    const count = (route: string, status: string, method = 'POST') =>
      sample(apiMetrics, 'trainyard_http_request_duration_seconds_count', { service: 'api', method, route, status });
    expect(count('/v1/train', '202')).toBe(2);
    expect(count('/v1/predict', '200')).toBe(2);
    expect(count('/v1/tasks/:taskId', '200', 'GET')).toBeGreaterThanOrEqual(1);
  });

  it('count the queues by state and the Redis connections', () => {
    expect(sample(apiMetrics, 'trainyard_queue_jobs', { queue: 'train', state: 'completed' })).toBe(2);
    expect(sample(apiMetrics, 'trainyard_queue_jobs', { queue: 'predict', state: 'waiting' })).toBe(0);
    expect(sample(apiMetrics, 'trainyard_redis_connected_clients', {})).toBeGreaterThan(1);
    expect(sample(workerMetrics, 'trainyard_redis_connected_clients', {})).toBeGreaterThan(1);
  });

  it('count cache hits and misses by tier', () => {
    expect(sample(apiMetrics, 'trainyard_cache_lookups_total', { tier: 'exact', result: 'miss' })).toBe(1);
    expect(sample(apiMetrics, 'trainyard_cache_lookups_total', { tier: 'exact', result: 'hit' })).toBe(1);
  });

  it('time task attempts by type, algorithm, allow-listed model and outcome', () => {
    const attempts = (labels: Record<string, string>) => sample(workerMetrics, 'trainyard_task_duration_seconds_count', labels);
    expect(attempts({ type: 'train', algorithm: 'logistic-regression', model: 'iris', outcome: 'success' })).toBe(1);
    expect(attempts({ type: 'train', algorithm: 'logistic-regression', model: 'other', outcome: 'success' })).toBe(1);
    expect(attempts({ type: 'predict', algorithm: '', model: 'iris', outcome: 'success' })).toBe(1);
  });

  it('count training epochs and the model cache', async () => {
    // Every step the two trainings made (the solver's iterations, fit then refit), as their versions record them.
    const steps = await Promise.all(
      ['iris', 'unlisted'].map(async (model) => {
        const { loss_curve } = (await request(`${api.url}/v1/models/${model}/versions/1`)).body as { loss_curve: { loss: number[]; refit_loss?: number[] } };
        return loss_curve.loss.length + (loss_curve.refit_loss?.length ?? 0);
      }),
    );
    expect(sample(workerMetrics, 'trainyard_training_epochs_total', { algorithm: 'logistic-regression' })).toBe(steps[0]! + steps[1]!);
    expect(sample(workerMetrics, 'trainyard_model_cache_models', {})).toBe(1);
    expect(sample(workerMetrics, 'trainyard_model_cache_bytes', {})).toBeGreaterThan(0);
    expect(sample(workerMetrics, 'trainyard_model_cache_evictions_total', {})).toBe(0);
  });

  it('count notification deliveries by channel and outcome', () => {
    expect(sample(workerMetrics, 'trainyard_notification_deliveries_total', { channel: 'webhook', outcome: 'delivered' })).toBe(1);
  });

  it('include every series the Grafana dashboard charts', () => {
    const dashboard = readFileSync(new URL('../../deploy/grafana/trainyard.json', import.meta.url), 'utf8');
    const charted = new Set([...dashboard.matchAll(/\b(trainyard_\w+|process_\w+)/g)].map(([name]) => name!.replace(/_(bucket|count|sum)$/, '')));
    const served = new Set([...`${apiMetrics}\n${workerMetrics}`.matchAll(/^# TYPE (\w+) /gm)].map(([, name]) => name));
    expect(charted.size).toBeGreaterThan(8);
    expect([...charted].filter((name) => !served.has(name))).toEqual([]);
  });

  it('keep labels low-cardinality: no task ids, no model outside the allow-list', () => {
    for (const text of [apiMetrics, workerMetrics]) {
      expect(text).not.toMatch(/(train|predict)-[0-9a-f]{32}/);
      expect(text).not.toContain('unlisted');
    }
  });
});
