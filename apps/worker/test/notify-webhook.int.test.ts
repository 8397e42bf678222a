import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Queue, QueueEvents, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { verifyWebhook, webhookPayload } from '@trainyard/shared/notify';
import { deletePrefix, redisUrl, testPrefix } from '@trainyard/test-support/redis';
import { finishedTask } from '@trainyard/test-support/task-resources';
import { deliverWebhook, throwUnlessDelivered, type WebhookEvent } from '../src/notify/webhook.js';

/**
 * The notify queue's intended shape, on a real BullMQ queue: a retryable answer is retried with
 * backoff, a refusal fails the job at once, and every attempt carries the same webhook-id.
 */

const secret = 'a plain secret, at least 16 characters';
const prefix = testPrefix('notify');
const queueName = 'webhooks';

const failed = finishedTask({
  task_id: 'train-ffeeddccbbaa99887766554433221100',
  status: 'FAILURE',
  result: null,
  error: { code: 'invalid_data', message: 'dataset "iris" has no column "kind"' },
  finished_at: '2025-06-01T12:00:02.000Z',
});

/** Requests per path, and the statuses each path answers signed requests with, in order (then 200). */
const received = new Map<string, IncomingHttpHeaders[]>();
const script = new Map<string, number[]>([
  ['/flaky', [500, 503]],
  ['/refusing', [400, 200]],
]);

function isSigned(headers: IncomingHttpHeaders, body: Buffer): boolean {
  try {
    return verifyWebhook(secret, headers, body).type === 'task.failed';
  } catch {
    return false;
  }
}

let receiver: Server;
let baseUrl: string;
let connection: Redis;
let queue: Queue;
let events: QueueEvents;
let worker: Worker;

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const path = req.url ?? '';
    received.set(path, [...(received.get(path) ?? []), req.headers]);
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      res.writeHead(isSigned(req.headers, Buffer.concat(chunks)) ? (script.get(path)?.shift() ?? 200) : 401).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;

  connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  queue = new Queue(queueName, { connection, prefix });
  events = new QueueEvents(queueName, { connection: { url: redisUrl }, prefix });
  await events.waitUntilReady();
  worker = new Worker<WebhookEvent>(
    queueName,
    async (job) => throwUnlessDelivered(await deliverWebhook(job.data, { secret, allowHosts: ['127.0.0.1'], timeoutMs: 2_000 })),
    { connection, prefix },
  );
});

afterAll(async () => {
  await worker?.close();
  await events?.close();
  await queue?.close();
  connection?.disconnect();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
  await deletePrefix(prefix);
});

const enqueue = (path: string) =>
  queue.add(
    'webhook.deliver',
    { id: `${failed.task_id}:failed`, url: `${baseUrl}${path}`, payload: webhookPayload('failed', failed) },
    { attempts: 4, backoff: { type: 'exponential', delay: 20 } },
  );

it('retries 5xx answers with backoff until the receiver takes the event, under one webhook-id', async () => {
  const job = await enqueue('/flaky');
  await job.waitUntilFinished(events, 20_000);

  const attempts = received.get('/flaky') ?? [];
  expect(attempts).toHaveLength(3);
  expect(new Set(attempts.map((headers) => headers['webhook-id'])).size).toBe(1);
  expect(await queue.getJobState(job.id!)).toBe('completed');
});

it('fails at once, without retries, when the receiver refuses the event with a 400', async () => {
  const job = await enqueue('/refusing');
  await expect(job.waitUntilFinished(events, 20_000)).rejects.toThrow('webhook not delivered: answered 400');

  expect(received.get('/refusing')).toHaveLength(1);
  expect(await queue.getJobState(job.id!)).toBe('failed');
});
