/**
 * The compose smoke test (`npm run test:compose`): builds and starts docker-compose.yml for real,
 * drives it through the load balancer as a user would, then removes it with its volumes.
 * Needs a Docker engine (on our machines: ../shared/compose-lab/prepare).
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ComposeProject, docker } from './compose-cli.js';

interface Task {
  task_id: string;
  status: string;
  worker: string | null;
  progress: { percent: number } | null;
  result: unknown;
  error: unknown;
  finished_at: string | null;
}

interface MailSummary {
  ID: string;
  Subject: string;
  To: { Address: string }[];
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const ports = { LB_PORT: await freePort(), MAILPIT_UI_PORT: await freePort(), MINIO_PORT: await freePort(), MINIO_CONSOLE_PORT: await freePort() };
/** The stack's first admin key, as a user puts it in .env. */
const adminKey = `ty_${randomBytes(32).toString('base64url')}`;
const auth = { authorization: `Bearer ${adminKey}` };
const stack = new ComposeProject(`trainyard-smoke-${randomBytes(3).toString('hex')}`, {
  ...Object.fromEntries(Object.entries(ports).map(([name, port]) => [name, String(port)])),
  IMAGE_TAG: 'smoke',
  BOOTSTRAP_API_KEY: adminKey,
  // A Redis Cluster hash tag: proves every key the platform writes takes the prefix (docs/scaling.md).
  QUEUE_PREFIX: '{trainyard}',
});
const lb = `http://127.0.0.1:${ports.LB_PORT}`;
const mailpit = `http://127.0.0.1:${ports.MAILPIT_UI_PORT}`;
const timings: Record<string, number> = {};

async function timed<T>(label: string, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await work();
  } finally {
    timings[label] = Math.round(performance.now() - started) / 1000;
  }
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await sleep(250);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

async function submit(path: string, body: object): Promise<string> {
  const response = await fetch(`${lb}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...auth },
    body: JSON.stringify(body),
  });
  const answer = (await response.json()) as { task_id: string };
  expect(response.status, JSON.stringify(answer)).toBe(202);
  return answer.task_id;
}

const getTask = async (id: string): Promise<Task> => (await fetch(`${lb}/v1/tasks/${id}`, { headers: auth })).json() as Promise<Task>;

/** Polls a task through the balancer until it finishes; a failed task fails the test with its error. */
async function finished(id: string, timeoutMs = 120_000): Promise<Task> {
  const task = await until(`task ${id}`, timeoutMs, async () => {
    const current = await getTask(id);
    return ['SUCCESS', 'FAILURE', 'REVOKED', 'EXPIRED'].includes(current.status) ? current : undefined;
  });
  expect(task.status, JSON.stringify(task.error)).toBe('SUCCESS');
  return task;
}

/** An iris MLP that runs every epoch: a training that lasts (logistic regression takes milliseconds). */
const trainNetwork = (model: string, params: object) =>
  submit('/v1/train', { model, algorithm: 'mlp', dataset: { name: 'iris', target: 'species' }, params: { patience: 0, ...params } });

/** Container id → hostname, which is what a task's "worker" starts with. */
async function hostnames(ids: string[]): Promise<Map<string, string>> {
  return new Map(await Promise.all(ids.map(async (id) => [await docker('inspect', '-f', '{{.Config.Hostname}}', id), id] as const)));
}

/** The worker replicas that have started serving their queues. */
async function readyWorkers(count: number): Promise<string[]> {
  return until(`${count} ready workers`, 120_000, async () => {
    const ids = await stack.containers('worker');
    const logs = await Promise.all(ids.map((id) => docker('logs', id)));
    return ids.length === count && logs.every((log) => log.includes('"msg":"worker ready"')) ? ids : undefined;
  });
}

beforeAll(async () => {
  await timed('config', () => stack.compose('config', '-q'));
  await timed('up --build', () => stack.compose('up', '-d', '--build'));
  await readyWorkers(1);
}, 1_800_000);

afterEach(async ({ task }) => {
  if (task.result?.state !== 'fail') return;
  console.error(await stack.compose('ps').catch(String));
  console.error(await stack.compose('logs', '--tail', '40').catch(String));
});

afterAll(async () => {
  await timed('down -v', () => stack.compose('down', '-v', '--remove-orphans'));
  console.info(`compose smoke (${stack.cli}) timings in seconds: ${JSON.stringify(timings)}`);
}, 300_000);

describe(`docker-compose.yml, through the balancer`, () => {
  it('balances over two API replicas, asks for an API key, and keeps Bull Board behind basic auth', async () => {
    expect(await stack.containers('api')).toHaveLength(2);
    for (let i = 0; i < 6; i++) expect((await fetch(`${lb}/ready`)).status).toBe(200);
    // The balancer's access log names the replica that answered each request.
    const log = await stack.compose('logs', '--no-color', 'lb');
    expect(new Set([...log.matchAll(/upstream=([\d.]+:\d+)/g)].map(([, address]) => address)).size).toBe(2);
    expect((await fetch(`${lb}/v1/models`)).status).toBe(401);
    expect((await fetch(`${lb}/v1/models`, { headers: auth })).status).toBe(200);
    expect((await fetch(`${lb}/admin/queues`)).status).toBe(401);
    // No BOARD_USER in .env.example: the admin key is the password.
    const board = await fetch(`${lb}/admin/queues`, { headers: { authorization: `Basic ${btoa(`admin:${adminKey}`)}` } });
    expect(board.status).toBe(200);
  });

  it('serves the web console at / from the API image, its bundles cached and index.html not', async () => {
    const index = await fetch(`${lb}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('cache-control')).toBe('no-cache');
    const html = await index.text();
    expect(html).toContain('<title>Trainyard console</title>');
    const script = /src="\.\/(assets\/[\w-]+\.js)"/.exec(html)?.[1];
    const bundle = await fetch(`${lb}/${script}`);
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect((await bundle.text()).length).toBeGreaterThan(10_000);
  });

  it('refuses an oversized body at the balancer with the API error shape', async () => {
    const response = await fetch(`${lb}/v1/train`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth },
      body: JSON.stringify({ padding: 'x'.repeat(2 * 1024 * 1024) }),
    });
    expect(response.status).toBe(413);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('payload_too_large');
  });

  it('trains iris, predicts with the model and emails the result to Mailpit', async () => {
    const trainedId = await submit('/v1/train', {
      model: 'iris',
      algorithm: 'logistic-regression',
      dataset: { name: 'iris', target: 'species' },
      notify: { email: 'ml-team@example.com' },
    });
    const trained = await timed('train iris', () => finished(trainedId));
    expect(trained.result).toMatchObject({ model: 'iris', version: 1 });
    const mail = await timed('email in Mailpit', () =>
      until('the notification email', 60_000, async () => {
        const { messages } = (await (await fetch(`${mailpit}/api/v1/messages`)).json()) as { messages: MailSummary[] };
        return messages.find((message) => message.To.some((to) => to.Address === 'ml-team@example.com'));
      }),
    );
    expect(mail.Subject).toMatch(/iris v1 succeeded/);
    // Its link leads to the task through the balancer (PUBLIC_URL).
    const message = (await (await fetch(`${mailpit}/api/v1/message/${mail.ID}`)).json()) as { Text: string };
    expect(message.Text).toContain(`http://localhost:8080/v1/tasks/${trainedId}`);
    const predicted = await timed('predict', async () =>
      finished(await submit('/v1/predict', { model: 'iris', inputs: [[5.1, 3.5, 1.4, 0.2]] })),
    );
    expect(predicted.result).toMatchObject({ model: 'iris', version: 1, predictions: [{ label: 'setosa' }] });
  }, 300_000);

  it('spreads trainings over three worker replicas', async () => {
    await timed('scale worker=3', () => stack.compose('up', '-d', '--scale', 'worker=3'));
    const hosts = await hostnames(await readyWorkers(3));
    // Each replica trains one model at a time, so six at once keep all three busy.
    const ids = await Promise.all(Array.from({ length: 6 }, (_, i) => trainNetwork(`spread-${i}`, { epochs: 100, batch_size: 16 })));
    const tasks = await timed('6 trainings on 3 workers', () => Promise.all(ids.map((id) => finished(id))));
    const workers = new Set(tasks.map((task) => task.worker?.split(':')[0]));
    expect([...workers].sort()).toEqual([...hosts.keys()].sort());
  }, 600_000);

  it('drains a worker stopped mid-training without losing the task', async () => {
    // The containers are known before the training starts, so it is stopped within a poll of its
    // start. About 20 s on a busy 2-core host (a quiet one finished 600 epochs of 32 rows before the stop
    // came): stopped mid-way, done well within SHUTDOWN_TIMEOUT_S (30 s).
    const hosts = await hostnames(await stack.containers('worker'));
    const id = await trainNetwork('drained', { epochs: 1000, batch_size: 16 });
    const running = await until('the training to start', 60_000, async () => {
      const task = await getTask(id);
      return task.status === 'STARTED' && task.progress && task.worker ? task : undefined;
    });
    const container = hosts.get(running.worker!.split(':')[0]!);
    expect(container, `the worker that runs ${id}`).toBeDefined();
    const stopped = Date.now();
    await timed('stop worker mid-training', () => docker('stop', container!));
    const exited = Date.now();
    const state = JSON.parse(await docker('inspect', '-f', '{{json .State}}', container!)) as { ExitCode: number };
    // 0: the process left on its own after draining; 137 would be Docker's SIGKILL after the grace period.
    expect(state.ExitCode).toBe(0);
    // The stopped worker itself finished the training, between SIGTERM and its exit.
    const task = await finished(id);
    expect(task.worker).toBe(running.worker);
    expect(Date.parse(task.finished_at!)).toBeGreaterThan(stopped);
    expect(Date.parse(task.finished_at!)).toBeLessThan(exited);
  }, 300_000);
});
