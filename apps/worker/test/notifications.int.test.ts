import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Queue, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyWebhook } from '@trainyard/shared/notify';
import type { TaskResource } from '@trainyard/shared/tasks';
import { boardAuth } from '@trainyard/test-support/auth';
import { request } from '@trainyard/test-support/http';
import { startApi, startProcess, startWorker, type RunningProcess } from '@trainyard/test-support/processes';
import { deletePrefix, redisUrl, testPrefix } from '@trainyard/test-support/redis';
import { statusEvents, submit, tempStorage, trainIris, trainIrisNetwork } from '@trainyard/test-support/stack';

/**
 * Notifications end to end: the real API and worker, a real SMTP server and a real webhook
 * receiver. The task queues its notifications as it finishes; the notify queue delivers them.
 */

const prefix = testPrefix('notifications');
const storage = tempStorage('notifications');
const secret = 'a test secret of more than 16 characters';
const publicUrl = 'https://trainyard.example.com';

interface Received {
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** Requests per path; a path answers with its scripted statuses in order, then 200. */
const received = new Map<string, Received[]>();
const script = new Map<string, number[]>([
  ['/flaky', [500]],
  ['/refusing', [400, 400, 400]],
]);
const mails: ParsedMail[] = [];

let receiver: Server;
let hookBase: string;
let smtp: SMTPServer;
let api: RunningProcess & { url: string };
let worker: RunningProcess;
let redis: Redis;

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = req.url ?? '';
      received.set(path, [...(received.get(path) ?? []), { headers: req.headers, body: Buffer.concat(chunks) }]);
      res.statusCode = script.get(path)?.shift() ?? 200;
      res.end();
    });
  });
  receiver.listen(0, '127.0.0.1');
  smtp = new SMTPServer({
    disabledCommands: ['STARTTLS', 'AUTH'],
    onData(stream, _session, done) {
      simpleParser(stream).then((mail) => (mails.push(mail), done()), done);
    },
  });
  smtp.listen(0, '127.0.0.1');
  await Promise.all([new Promise((r) => receiver.once('listening', r)), new Promise((r) => smtp.server.once('listening', r))]);
  hookBase = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;

  redis = new Redis(redisUrl);
  const env = { QUEUE_PREFIX: prefix, STORAGE_URL: storage.url, WEBHOOK_ALLOW_HOSTS: '127.0.0.1' };
  [api, worker] = await Promise.all([
    startApi({ ...env, TRAIN_MAX_EPOCHS: '2000' }),
    startWorker({
      ...env,
      SMTP_URL: `smtp://127.0.0.1:${(smtp.server.address() as AddressInfo).port}`,
      MAIL_FROM: 'Trainyard <trainyard@example.com>',
      PUBLIC_URL: publicUrl,
      WEBHOOK_SECRET: secret,
      NOTIFY_ATTEMPTS: '3',
      NOTIFY_BACKOFF_MS: '200',
    }),
  ]);
});

afterAll(async () => {
  await Promise.all([api?.stop(), worker?.stop()]);
  redis?.disconnect();
  receiver?.close();
  await new Promise((r) => (smtp ? smtp.close(() => r(undefined)) : r(undefined)));
  await deletePrefix(prefix);
  storage.remove();
});

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`not reached in ${timeoutMs} ms; last: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const readTask = async (taskId: string) => (await request<TaskResource>(`${api.url}/v1/tasks/${taskId}`)).body;
const notificationsSettled = (task: TaskResource) =>
  task.notifications.length > 0 && task.notifications.every((n) => n.status !== 'pending');
const quietly = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('asking for notifications', () => {
  it('refuses a bad email, a bad URL and internal webhook addresses with a 400 naming the field', async () => {
    const cases: [notify: object, path: string][] = [
      [{ email: 'not-an-address' }, 'notify.email'],
      [{ webhook: 'ftp://hooks.example.com/x' }, 'notify.webhook'],
      [{ webhook: 'http://169.254.169.254/latest/meta-data' }, 'notify.webhook'],
      [{ webhook: 'http://localhost:6379/' }, 'notify.webhook'],
      [{ webhook: 'http://[::ffff:10.0.0.1]/' }, 'notify.webhook'],
      [{ email: 'a@example.com', on: ['finished'] }, 'notify.on.0'],
    ];
    for (const [notify, path] of cases) {
      const response = await request(`${api.url}/v1/train`, { body: { ...trainIris('iris-refused'), notify } });
      expect(response.status, JSON.stringify(notify)).toBe(400);
      expect(response.body.error.issues.map((issue: { path: string }) => issue.path)).toContain(path);
    }
  });

  it('lists the notify queue in Bull Board', async () => {
    const queues = await request(`${api.url}/admin/queues/api/queues`, { headers: boardAuth() });
    expect(queues.body.queues.map((queue: { name: string }) => queue.name)).toContain('notify');
  });
});

describe('a finished training', () => {
  let taskId: string;

  beforeAll(async () => {
    taskId = await submit(api.url, '/v1/train', {
      ...trainIris('iris-notified', { epochs: 20 }),
      notify: { email: 'ml-team@example.com', webhook: `${hookBase}/ok` },
    });
  });

  it('emails the team with the model, version, metrics and a link to the task', async () => {
    const mail = await eventually(async () => mails.find((m) => m.text?.includes(taskId)), Boolean);
    expect(mail!.to).toMatchObject({ value: [{ address: 'ml-team@example.com' }] });
    expect(mail!.from).toMatchObject({ value: [{ address: 'trainyard@example.com' }] });
    expect(mail!.subject).toMatch(/^\[Trainyard\] train iris-notified v1 succeeded \(accuracy 0\.\d+\)$/);
    expect(mail!.text).toContain('Status:      succeeded');
    expect(mail!.text).toContain('Model:       iris-notified version 1');
    expect(mail!.text).toContain(`${publicUrl}/v1/tasks/${taskId}`);
    expect(mail!.html).toContain(`href="${publicUrl}/v1/tasks/${taskId}"`);
  });

  it('posts a signed webhook that verifies, carrying the finished task', async () => {
    const [delivery] = await eventually(async () => received.get('/ok') ?? [], (list) => list.length > 0);
    const payload = verifyWebhook(secret, delivery!.headers, delivery!.body);
    expect(payload.type).toBe('task.succeeded');
    expect(payload.data).toMatchObject({ task_id: taskId, status: 'SUCCESS', result: { model: 'iris-notified', version: 1 } });
    expect(payload.data.history.map((entry) => entry.status)).toEqual(['STARTED', 'SUCCESS']);
    expect(payload.timestamp).toBe(payload.data.finished_at);
    expect(() => verifyWebhook('another secret of 16+ characters', delivery!.headers, delivery!.body)).toThrow();
  });

  it('lists both notifications on the task as delivered', async () => {
    const task = await eventually(() => readTask(taskId), notificationsSettled);
    expect(task.status).toBe('SUCCESS');
    expect(task.notifications).toEqual([
      { channel: 'email', status: 'delivered', attempts: 1, last_error: null },
      { channel: 'webhook', status: 'delivered', attempts: 1, last_error: null },
    ]);
  });
});

describe('webhook delivery', () => {
  it('retries a 500 with backoff, with the same webhook-id, until delivered', async () => {
    const taskId = await submit(api.url, '/v1/train', { ...trainIris('iris-flaky', { epochs: 5 }), notify: { webhook: `${hookBase}/flaky` } });
    const task = await eventually(() => readTask(taskId), notificationsSettled);
    expect(task.notifications).toEqual([{ channel: 'webhook', status: 'delivered', attempts: 2, last_error: expect.stringContaining('500') }]);
    const deliveries = received.get('/flaky')!;
    expect(deliveries).toHaveLength(2);
    expect(deliveries[1]!.headers['webhook-id']).toBe(deliveries[0]!.headers['webhook-id']);
    deliveries.forEach((delivery) => expect(verifyWebhook(secret, delivery.headers, delivery.body).data.task_id).toBe(taskId));
  });

  it('does not retry a 400', async () => {
    const taskId = await submit(api.url, '/v1/train', { ...trainIris('iris-refusing', { epochs: 5 }), notify: { webhook: `${hookBase}/refusing` } });
    const task = await eventually(() => readTask(taskId), notificationsSettled);
    expect(task.notifications).toEqual([{ channel: 'webhook', status: 'failed', attempts: 1, last_error: expect.stringContaining('400') }]);
    await quietly(1_000); // a retry would have come after 200 ms
    expect(received.get('/refusing')).toHaveLength(1);
    expect((await readTask(taskId)).status).toBe('SUCCESS');
  });

  it('sends nothing for a status the task did not ask about', async () => {
    const taskId = await submit(api.url, '/v1/train', {
      ...trainIris('iris-quiet', { epochs: 5 }),
      notify: { webhook: `${hookBase}/quiet`, on: ['failed'] },
    });
    const task = await eventually(() => readTask(taskId), (t) => t.status === 'SUCCESS');
    await quietly(500);
    expect(task.notifications).toEqual([]);
    expect(received.get('/quiet')).toBeUndefined();
  });

  it('sends a failed task\'s notification once, even when the task is processed again', async () => {
    const taskId = await submit(api.url, '/v1/train', {
      ...trainIris('iris-broken'),
      dataset: { name: 'iris', target: 'no-such-column' },
      notify: { webhook: `${hookBase}/failed` },
    });
    const [delivery] = await eventually(async () => received.get('/failed') ?? [], (list) => list.length > 0);
    const payload = verifyWebhook(secret, delivery!.headers, delivery!.body);
    expect(payload).toMatchObject({ type: 'task.failed', data: { status: 'FAILURE', error: { code: 'invalid_data' } } });

    // Processed again from the start, as after a crash before BullMQ recorded the outcome.
    const queue = new Queue('train', { connection: redis, prefix });
    const job = (await queue.getJob(taskId)) as Job;
    await job.retry('failed');
    await eventually(() => statusEvents(prefix, taskId), (events) => events.filter((e) => e.status === 'FAILURE').length === 2);
    await eventually(() => readTask(taskId), (t) => t.status === 'FAILURE');
    await quietly(1_000);
    await queue.close();
    expect(received.get('/failed')).toHaveLength(1);
    expect((await readTask(taskId)).notifications).toEqual([{ channel: 'webhook', status: 'delivered', attempts: 1, last_error: null }]);
  });
});

describe('a cancelled task', () => {
  const cancel = (taskId: string) => request(`${api.url}/v1/tasks/${taskId}/cancel`, { method: 'POST' });

  it('notifies task.revoked, whether it was waiting or running', async () => {
    const running = await submit(api.url, '/v1/train', {
      ...trainIrisNetwork('iris-running', { epochs: 2_000, batch_size: 4 }),
      notify: { webhook: `${hookBase}/revoked-running` },
    });
    const waiting = await submit(api.url, '/v1/train', {
      ...trainIris('iris-waiting', { epochs: 5 }),
      notify: { webhook: `${hookBase}/revoked-waiting`, email: 'ml-team@example.com' },
    });
    expect((await cancel(waiting)).status).toBe(200);
    await eventually(() => readTask(running), (task) => task.status === 'STARTED');
    expect((await cancel(running)).status).toBe(202);

    for (const [taskId, path] of [[waiting, '/revoked-waiting'], [running, '/revoked-running']] as const) {
      const [delivery] = await eventually(async () => received.get(path) ?? [], (list) => list.length > 0);
      expect(verifyWebhook(secret, delivery!.headers, delivery!.body)).toMatchObject({ type: 'task.revoked', data: { task_id: taskId, status: 'REVOKED' } });
      const task = await eventually(() => readTask(taskId), notificationsSettled);
      expect(task.notifications.every((n) => n.status === 'delivered')).toBe(true);
    }
    const mail = await eventually(async () => mails.find((m) => m.text?.includes(waiting)), Boolean);
    expect(mail!.subject).toBe('[Trainyard] train iris-waiting revoked');
  });
});

it('warns at start when WEBHOOK_SECRET is unset', async () => {
  const unsigned = startProcess('worker', { QUEUE_PREFIX: prefix, STORAGE_URL: storage.url, WORKER_QUEUES: 'notify' });
  try {
    const line = JSON.parse(await unsigned.waitForLine(/WEBHOOK_SECRET/)) as { level: number };
    expect(line.level).toBe(40);
    await unsigned.waitForLine(/worker ready/);
  } finally {
    await unsigned.stop();
  }
});
