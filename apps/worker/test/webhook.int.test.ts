import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { UnrecoverableError } from 'bullmq';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { verifyWebhook, webhookPayload, type Resolve } from '@trainyard/shared/notify';
import { finishedTask } from '@trainyard/test-support/task-resources';
import { deliverWebhook, throwUnlessDelivered, type WebhookEvent, type WebhookOptions } from '../src/notify/webhook.js';

const secret = `whsec_${Buffer.from('trainyard-test-secret-24-bytes!!').toString('base64')}`;

const task = finishedTask();

interface Received {
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A webhook receiver on 127.0.0.1 that answers each request with the next scripted reply. */
let receiver: Server;
let baseUrl: string;
let received: Received[];
let replies: ((res: ServerResponse) => void)[];

const answer = (status: number, body = '', headers: Record<string, string> = {}) => (res: ServerResponse) => res.writeHead(status, headers).end(body);

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) });
      (replies.shift() ?? answer(204))(res);
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
});

afterAll(async () => {
  receiver.closeAllConnections();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
});

beforeEach(() => {
  received = [];
  replies = [];
});

const event = (id = `${task.task_id}:succeeded`, path = '/hooks/trainyard'): WebhookEvent => ({
  id,
  url: `${baseUrl}${path}`,
  payload: webhookPayload('succeeded', task),
});
const options: WebhookOptions = { secret, allowHosts: ['127.0.0.1'], timeoutMs: 2_000 };

describe('deliverWebhook', () => {
  it('POSTs the event as JSON, signed so the receiver can verify it', async () => {
    const attempt = await deliverWebhook(event(), options);

    expect(attempt).toMatchObject({ delivered: true, status: 204 });
    expect(received).toHaveLength(1);
    const [request] = received as [Received];
    expect(request.url).toBe('/hooks/trainyard');
    expect(request.headers['content-type']).toBe('application/json');
    const payload = verifyWebhook(secret, request.headers, request.body);
    expect(payload).toEqual({ type: 'task.succeeded', timestamp: task.finished_at, data: task });
    expect(() => verifyWebhook('some other secret entirely', request.headers, request.body)).toThrow('no matching signature');
  });

  it('reports a 500 as retryable, and the next attempt of the same event succeeds with the same webhook-id', async () => {
    replies.push(answer(500, 'database is down'));

    const first = await deliverWebhook(event(), options);
    const second = await deliverWebhook(event(), options);

    expect(first).toMatchObject({ delivered: false, retryable: true, status: 500, reason: 'answered 500: database is down' });
    expect(() => throwUnlessDelivered(first)).toThrow('webhook not delivered: answered 500');
    expect(() => throwUnlessDelivered(first)).not.toThrow(UnrecoverableError);
    expect(second).toMatchObject({ delivered: true, status: 204 });
    expect(() => throwUnlessDelivered(second)).not.toThrow();
    const [one, two] = received.map((request) => request.headers['webhook-id']);
    expect(one).toMatch(/^msg_/);
    expect(two).toBe(one);
    expect(received.map((request) => verifyWebhook(secret, request.headers, request.body).type)).toEqual(['task.succeeded', 'task.succeeded']);
  });

  it('gives another event another webhook-id', async () => {
    await deliverWebhook(event(`${task.task_id}:succeeded`), options);
    await deliverWebhook(event(`${task.task_id}:failed`), options);
    expect(received[0]!.headers['webhook-id']).not.toBe(received[1]!.headers['webhook-id']);
  });

  it('reports a 400 as final: the job must fail without retries', async () => {
    replies.push(answer(400, '{"error":"unknown event type"}'));

    const attempt = await deliverWebhook(event(), options);

    expect(attempt).toMatchObject({ delivered: false, retryable: false, status: 400 });
    expect(() => throwUnlessDelivered(attempt)).toThrow(UnrecoverableError);
    expect(received).toHaveLength(1);
  });

  it.each([
    [408, true],
    [429, true],
    [502, true],
    [503, true],
    [401, false],
    [404, false],
    [410, false],
    [413, false],
  ])('classifies %i as retryable: %s', async (status, retryable) => {
    replies.push(answer(status));
    expect(await deliverWebhook(event(), options)).toMatchObject({ delivered: false, status, retryable });
  });

  it('does not follow a redirect, and does not retry it', async () => {
    replies.push(answer(307, '', { location: `${baseUrl}/elsewhere` }));

    const attempt = await deliverWebhook(event(), options);

    expect(attempt).toMatchObject({ delivered: false, retryable: false, status: 307, reason: 'answered 307 (redirects are not followed)' });
    expect(received.map((request) => request.url)).toEqual(['/hooks/trainyard']);
  });

  it('gives up on a receiver that does not answer in time, and calls that retryable', async () => {
    replies.push((res) => setTimeout(() => res.writeHead(200).end(), 3_000).unref());

    const attempt = await deliverWebhook(event(), { ...options, timeoutMs: 300 });

    expect(attempt).toMatchObject({ delivered: false, retryable: true, reason: 'no answer within 300 ms' });
    expect(attempt.durationMs).toBeGreaterThanOrEqual(290);
    expect(attempt.durationMs).toBeLessThan(2_000);
  });

  it('calls a refused connection retryable', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));

    const attempt = await deliverWebhook({ ...event(), url: `http://127.0.0.1:${port}/` }, options);

    expect(attempt).toMatchObject({ delivered: false, retryable: true, reason: expect.stringContaining('ECONNREFUSED') });
  });

  it.each(['not a url', 'ftp://hooks.example.com/x'])('fails for good on a URL it cannot send to: %s', async (url) => {
    expect(await deliverWebhook({ ...event(), url }, options)).toMatchObject({ delivered: false, retryable: false });
  });

  it('sends no signature without a secret, but still the id and timestamp', async () => {
    await deliverWebhook(event(), { ...options, secret: undefined });
    expect(received[0]!.headers).toMatchObject({ 'webhook-id': expect.stringMatching(/^msg_/), 'webhook-timestamp': expect.stringMatching(/^\d+$/) });
    expect(received[0]!.headers['webhook-signature']).toBeUndefined();
  });
});

describe('deliverWebhook and the SSRF guard', () => {
  const resolvesToLoopback: Resolve = async () => [{ address: '127.0.0.1', family: 4 }];

  it('refuses an address that is not allow-listed, for good, without connecting', async () => {
    const attempt = await deliverWebhook(event(), { ...options, allowHosts: [] });

    expect(attempt).toMatchObject({ delivered: false, retryable: false, reason: '127.0.0.1 is a loopback address' });
    expect(received).toHaveLength(0);
  });

  it('checks the address a name resolves to when connecting, so a rebound name cannot reach the receiver', async () => {
    const port = new URL(baseUrl).port;
    const rebound = { ...event(), url: `http://hooks.rebound.example:${port}/hooks/trainyard` };

    const attempt = await deliverWebhook(rebound, { ...options, allowHosts: [], resolve: resolvesToLoopback });

    expect(attempt).toMatchObject({ delivered: false, retryable: false, reason: 'hooks.rebound.example resolves to 127.0.0.1, a loopback address' });
    expect(received).toHaveLength(0);
  });

  it('connects through a name when the address it resolves to is allow-listed', async () => {
    const port = new URL(baseUrl).port;
    const named = { ...event(), url: `http://receiver.example:${port}/hooks/trainyard` };

    const attempt = await deliverWebhook(named, { ...options, allowHosts: ['127.0.0.1'], resolve: resolvesToLoopback });

    expect(attempt).toMatchObject({ delivered: true });
    expect(received[0]!.headers.host).toBe(`receiver.example:${port}`);
  });
});
