import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Trainyard, TrainyardError, type TrainProgress } from '@trainyard/client';
import { startApi, startWorker, type RunningProcess } from '@trainyard/test-support/processes';
import { deletePrefix, testPrefix } from '@trainyard/test-support/redis';
import { testAdminKey } from '@trainyard/test-support/auth';
import { tempStorage, trainIris, trainIrisNetwork } from '@trainyard/test-support/stack';

const prefix = testPrefix('client');
const storage = tempStorage('client');
let api: RunningProcess & { url: string };
let worker: RunningProcess;
let client: Trainyard;

beforeAll(async () => {
  const env = { QUEUE_PREFIX: prefix, STORAGE_URL: storage.url };
  [api, worker] = await Promise.all([startApi(env), startWorker(env)]);
  client = new Trainyard({ url: api.url, apiKey: testAdminKey });
});

afterAll(async () => {
  await Promise.all([api?.stop(), worker?.stop()]);
  await deletePrefix(prefix);
  storage.remove();
});

async function listen(server: Server): Promise<string> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A proxy to the API that answers event streams as a buffering proxy might: not at all (502). */
async function proxyWithoutStreams(target: string): Promise<{ url: string; close(): void }> {
  const server = createServer((req, res) => {
    if (req.url?.endsWith('/events')) return void res.writeHead(502, { 'content-type': 'text/html' }).end('<h1>Bad gateway</h1>');
    const upstream = httpRequest(`${target}${req.url}`, { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode!, answer.headers);
      answer.pipe(res);
    });
    req.pipe(upstream);
  });
  return { url: await listen(server), close: () => server.close() };
}

describe('the typed client against the real API and worker', () => {
  it('trains and follows the event stream to the metrics, reporting each epoch as it comes', async () => {
    const submitted = await client.train(trainIris('iris', { epochs: 200 }));
    expect(submitted).toMatchObject({ type: 'train', status: 'PENDING', links: { self: `/v1/tasks/${submitted.task_id}` } });
    const progress: TrainProgress[] = [];
    const statuses: string[] = [];
    const task = await client.waitFor(submitted, { onProgress: (p) => progress.push(p), onStatus: (e) => statuses.push(e.status) });
    expect(task.status).toBe('SUCCESS');
    expect(task.result).toMatchObject({ model: 'iris', version: 1, metrics: { accuracy: expect.any(Number) } });
    expect(statuses).toContain('STARTED');
    expect(statuses.at(-1)).toBe('SUCCESS');
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.every((p) => p.epochs === 200 && p.epoch >= 1 && p.epoch <= 200)).toBe(true);
    const epochs = progress.map((p) => p.epoch);
    expect(epochs).toEqual([...epochs].sort((a, b) => a - b));
  });

  it('predicts, and hands back a cached answer as a finished task without another request', async () => {
    const request = { model: 'iris', inputs: [[5.1, 3.5, 1.4, 0.2], { sepal_length: 7.7, sepal_width: 3.0, petal_length: 6.1, petal_width: 2.3 }] };
    const first = await client.waitFor(await client.predict(request));
    expect(first.status).toBe('SUCCESS');
    expect((first.result as { predictions: { label: string }[] }).predictions.map((p) => p.label)).toEqual(['setosa', 'virginica']);

    const cached = await client.predict(request);
    expect(cached.status).toBe('SUCCESS');
    const answered = await client.waitFor(cached);
    expect(answered.result).toMatchObject({ cached: true, predictions: [{ label: 'setosa' }, { label: 'virginica' }] });
    expect(answered.attempts).toBe(0);
  });

  it('answers a finished task within Prefer: wait', async () => {
    const task = await client.predict({ model: 'iris', inputs: [[6.0, 2.9, 4.5, 1.5]], cache: false }, { wait: 30 });
    expect(task.status).toBe('SUCCESS');
  });

  it('falls back to long polls where event streams are unavailable', async () => {
    const proxy = await proxyWithoutStreams(api.url);
    try {
      const viaProxy = new Trainyard({ url: proxy.url, apiKey: testAdminKey });
      const progress: TrainProgress[] = [];
      const task = await viaProxy.waitFor(await viaProxy.train(trainIris('polled', { epochs: 300 })), { onProgress: (p) => progress.push(p) });
      expect(task.status).toBe('SUCCESS');
      expect(task.result).toMatchObject({ model: 'polled', version: 1 });
    } finally {
      proxy.close();
    }
  });

  it('cancels a running training, which then ends REVOKED', async () => {
    const submitted = await client.train(trainIrisNetwork('cancelled', { epochs: 1_000, batch_size: 4 }));
    const started = new Promise<void>((resolve) => {
      void client.waitFor(submitted, { onProgress: () => resolve() }).catch(() => {});
    });
    await started;
    const cancelled = await client.cancel(submitted.task_id);
    expect(['STARTED', 'REVOKED']).toContain(cancelled.status);
    expect((await client.waitFor(submitted.task_id)).status).toBe('REVOKED');
  });

  it('uploads a dataset as a stream with progress, then lists, describes and deletes it', async () => {
    const rows = Array.from({ length: 20_000 }, (_, i) => `${i},${(i * 7) % 13},${i % 2 ? 'odd' : 'even'}`);
    const csv = new TextEncoder().encode(`a,b,parity\n${rows.join('\n')}\n`);
    const sent: number[] = [];
    const dataset = await client.datasets.put('parity', csv, { onProgress: (bytes, total) => (expect(total).toBe(csv.byteLength), sent.push(bytes)) });
    expect(dataset).toMatchObject({ name: 'parity', rows: 20_000, builtin: false });
    expect(sent.length).toBeGreaterThan(1);
    expect(sent.at(-1)).toBe(csv.byteLength);
    expect(sent).toEqual([...sent].sort((a, b) => a - b));

    expect((await client.datasets.list()).map((d) => d.name)).toContain('parity');
    expect((await client.datasets.get('parity')).columns.map((c) => c.name)).toEqual(['a', 'b', 'parity']);
    await client.datasets.delete('parity');
    await expect(client.datasets.get('parity')).rejects.toMatchObject({ code: 'not_found', status: 404 });
  });

  it('reads the registry and moves aliases', async () => {
    expect((await client.models.list()).map((m) => m.name)).toContain('iris');
    const saved = await client.models.alias.set('iris', 'production', 1);
    expect(saved).toMatchObject({ model: 'iris', alias: 'production', version: 1, aliases: { production: 1 } });
    expect(await client.models.version('iris', 'production')).toMatchObject({ version: 1, aliases: ['production'] });
    expect((await client.models.show('iris')).versions[0]).toMatchObject({ version: 1, aliases: ['production'] });
    await client.models.alias.delete('iris', 'production');
    await expect(client.models.version('iris', 'production')).rejects.toBeInstanceOf(TrainyardError);
  });

  it('lists tasks, retries a failed one and follows the tenant’s feed', async () => {
    const submitted = await client.train({ ...trainIris('feed-broken'), dataset: { name: 'iris', target: 'no_such_column' } });
    expect((await client.waitFor(submitted)).status).toBe('FAILURE');
    // From the feed's start ("0-0", as a resume): the task's status changes, tagged with the task.
    const stop = new AbortController();
    const seen: string[] = [];
    for await (const event of client.tasks.events({ model: 'feed-broken', lastEventId: '0-0', signal: stop.signal })) {
      if (event.type === 'status') seen.push(`${event.task_id} ${event.task_type} ${event.model} ${event.status}`);
      if (event.type === 'status' && event.status === 'FAILURE') break;
    }
    stop.abort();
    expect(seen).toEqual([`${submitted.task_id} train feed-broken STARTED`, `${submitted.task_id} train feed-broken FAILURE`]);

    const page = await client.tasks.list({ status: 'FAILURE', model: 'feed-broken', since: new Date(Date.now() - 60_000) });
    expect(page).toEqual({ tasks: [expect.objectContaining({ task_id: submitted.task_id, status: 'FAILURE' })], next_cursor: null });
    const retry = await client.tasks.retry(submitted.task_id);
    expect(retry).toMatchObject({ retry_of: submitted.task_id, model: 'feed-broken' });
    await client.waitFor(retry.task_id);
    const [again] = await client.tasks.retryMatching({ model: 'feed-broken' });
    expect(again).toMatchObject({ retry_of: retry.task_id });
    const refused = await client.tasks.retry(submitted.task_id).catch((error: unknown) => error);
    expect(refused).toMatchObject({ code: 'task_not_retryable', status: 409 });
  });

  it('splits an alias between versions with a shadow, and reads its stats', { timeout: 60_000 }, async () => {
    for (let i = 0; i < 2; i++) expect((await client.waitFor(await client.train(trainIris('rollout')))).status).toBe('SUCCESS');
    const saved = await client.models.alias.set('rollout', 'canary', { versions: { '1': 1 }, shadow: 2 });
    expect(saved).toMatchObject({ version: 1, shadow: 2, routes: { canary: { versions: { '1': 1 }, shadow: 2 } } });
    const task = await client.waitFor(await client.predict({ model: 'rollout', version: 'canary', inputs: [[5.1, 3.5, 1.4, 0.2]], routing_key: 'me', cache: false }));
    expect(task.result).toMatchObject({ version: 1 });
    let stats = await client.models.alias.stats('rollout', 'canary');
    // The shadow's copy runs after the answer, behind every task.
    while (!stats.versions.some((v) => v.role === 'shadow')) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      stats = await client.models.alias.stats('rollout', 'canary');
    }
    expect(stats.versions.map(({ version, role, requests }) => ({ version, role, requests }))).toEqual([
      { version: 1, role: 'primary', requests: 1 },
      { version: 2, role: 'shadow', requests: 1 },
    ]);
  });

  it('raises the API’s error code, status and issues as a TrainyardError', async () => {
    const refused = await client.train({ ...trainIris('bad'), params: { epochs: 0 } } as never).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(TrainyardError);
    expect(refused).toMatchObject({ code: 'invalid_request', status: 400, issues: [{ path: 'params.epochs', message: expect.any(String) }] });
    await expect(client.task('train-00000000000000000000000000000000')).rejects.toMatchObject({ code: 'not_found', status: 404 });
  });

  it('says a server it cannot reach is unreachable', async () => {
    const closed = createServer();
    const url = await listen(closed);
    closed.close();
    await expect(new Trainyard({ url }).models.list()).rejects.toMatchObject({ code: 'unreachable', status: 0 });
  });
});

describe('configuration', () => {
  it('reads TRAINYARD_URL and TRAINYARD_API_KEY, and sends the key as a bearer token', async () => {
    const seen: IncomingHttpHeaders[] = [];
    const server = createServer((req, res) => {
      seen.push(req.headers);
      res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'unauthorized', message: 'who are you' } }));
    });
    const url = await listen(server);
    const saved = { url: process.env.TRAINYARD_URL, key: process.env.TRAINYARD_API_KEY };
    Object.assign(process.env, { TRAINYARD_URL: url, TRAINYARD_API_KEY: 'ty_test_key' });
    try {
      const fromEnv = new Trainyard();
      expect(fromEnv.url).toBe(url);
      await expect(fromEnv.models.list()).rejects.toMatchObject({ code: 'unauthorized', status: 401, message: 'who are you' });
      expect(seen[0]?.authorization).toBe('Bearer ty_test_key');
      await new Trainyard({ url, apiKey: '' }).models.list().catch(() => {});
      expect(seen[1]?.authorization).toBeUndefined();
    } finally {
      for (const [name, value] of [['TRAINYARD_URL', saved.url], ['TRAINYARD_API_KEY', saved.key]] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
      server.close();
    }
  });
});
