import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey } from '@trainyard/test-support/auth';
import { request } from '@trainyard/test-support/http';
import { startApi, type RunningProcess } from '@trainyard/test-support/processes';
import { deletePrefix, redisUrl, testPrefix } from '@trainyard/test-support/redis';
import { PrivateRedis } from '@trainyard/test-support/redis-server';
import { openSse, type SseStream } from '@trainyard/test-support/sse';
import { submit } from '@trainyard/test-support/stack';

/**
 * Waits and event streams share one blocking Redis connection per API process: a thousand open
 * event streams hold one connection, not a thousand. Caps per key and per process answer 429 beyond
 * them, except to a submit whose task is queued already: that answers 202 with the task.
 * No worker runs: every task stays PENDING.
 */

const line = (model: string) => ({ model, algorithm: 'linear-regression', dataset: { inline: { features: [[1], [2]], labels: [1, 2] } } });

describe('1,000 event streams on one API process', () => {
  const prefix = testPrefix('follow1k');
  const storageDir = mkdtempSync(join(tmpdir(), 'ty-follow1k-'));
  let server: PrivateRedis;
  let redis: Redis;
  let api: RunningProcess & { url: string };

  beforeAll(async () => {
    // A Redis of its own, so every client it counts is ours.
    server = await PrivateRedis.start();
    redis = new Redis(server.url);
    api = await startApi({ REDIS_URL: server.url, QUEUE_PREFIX: prefix, STORAGE_URL: `file://${storageDir}`, FOLLOW_MAX_PER_KEY: '1000', FOLLOW_MAX_PER_PROCESS: '1000' });
  });

  afterAll(async () => {
    await api?.stop();
    redis?.disconnect();
    await server?.stop();
    rmSync(storageDir, { recursive: true, force: true });
  });

  const clients = async () => ((await redis.client('LIST')) as string).trim().split('\n');

  it('hold one more Redis connection than none, and still deliver each task’s events', async () => {
    const tasks = await Promise.all(Array.from({ length: 10 }, (_, i) => submit(api.url, '/v1/train', line(`m${i}`))));
    const before = await clients();
    const streams: SseStream[] = [];
    for (let batch = 0; batch < 10; batch++) {
      streams.push(...(await Promise.all(Array.from({ length: 100 }, (_, i) => openSse(`${api.url}/v1/tasks/${tasks[(batch * 100 + i) % 10]}/events`)))));
    }
    expect(streams.map((stream) => stream.status)).toEqual(Array(1_000).fill(200));
    const opened = await Promise.all(streams.map((stream) => stream.next()));
    expect(opened.every((message) => message?.data.status === 'PENDING')).toBe(true);

    const during = await clients();
    const followers = during.filter((client) => client.includes(` name=${prefix}-task-follower `));
    console.info(`Redis clients: ${before.length} before the streams, ${during.length} with 1,000 streams open (${followers.length} of them the follower)`);
    expect(followers).toHaveLength(1);
    expect(during.length - before.length).toBeLessThanOrEqual(1);

    // The one connection still carries every task's events: cancelling a task ends its 100 streams.
    expect((await request(`${api.url}/v1/tasks/${tasks[3]}/cancel`, { method: 'POST' })).status).toBe(200);
    const ofTask3 = streams.filter((_, i) => i % 10 === 3);
    const endings = await Promise.all(ofTask3.map((stream) => stream.rest()));
    expect(endings.map((rest) => rest.at(-1)?.data.status)).toEqual(Array(100).fill('REVOKED'));
    streams.forEach((stream) => stream.close());
  });
});

describe('the caps on waits and event streams', () => {
  const prefix = testPrefix('followcap');
  const storageDir = mkdtempSync(join(tmpdir(), 'ty-followcap-'));
  let api: RunningProcess & { url: string };

  beforeAll(async () => {
    api = await startApi({ QUEUE_PREFIX: prefix, STORAGE_URL: `file://${storageDir}`, FOLLOW_MAX_PER_KEY: '2', FOLLOW_MAX_PER_PROCESS: '3' });
  });

  afterAll(async () => {
    await api?.stop();
    await deletePrefix(prefix, redisUrl);
    rmSync(storageDir, { recursive: true, force: true });
  });

  it('answer 429 beyond a key’s and the process’ caps, free up when a client leaves, and never refuse a queued submit', async () => {
    const first = await createKey(api.url, { tenant: 'acme' });
    const second = await createKey(api.url, { tenant: 'acme' });
    const taskId = await submit(api.url, '/v1/train', line('capped'));
    const theirs = (await request(`${api.url}/v1/train`, { body: line('capped'), key: first.key })).body.task_id as string;
    const stream = (key: string) => openSse(`${api.url}/v1/tasks/${theirs}/events`, { authorization: `Bearer ${key}` });

    const held = [await stream(first.key), await stream(first.key)];
    expect(held.map((s) => s.status)).toEqual([200, 200]);
    const overKey = await request(`${api.url}/v1/tasks/${theirs}/events`, { key: first.key });
    expect(overKey.status).toBe(429);
    expect(overKey.body.error.code).toBe('too_many_streams');
    expect((await request(`${api.url}/v1/tasks/${theirs}?wait=5`, { key: first.key })).status).toBe(429);

    // Queued already: no cap turns the answer into an error a client would retry.
    const waited = await request(`${api.url}/v1/train`, { body: line('waits'), key: first.key, headers: { prefer: 'wait=5' } });
    expect(waited.status).toBe(202);
    expect(waited.headers.get('location')).toBe(`/v1/tasks/${waited.body.task_id}`);
    expect(waited.body.status).toBe('PENDING');

    const third = await stream(second.key);
    expect(third.status).toBe(200);
    const overProcess = await request(`${api.url}/v1/tasks/${taskId}/events`);
    expect(overProcess.status).toBe(429);

    held[0]!.close();
    await expect.poll(async () => (await stream(first.key).then((s) => (s.close(), s.status))), { timeout: 5_000 }).toBe(200);
    held[1]!.close();
    third.close();
  });
});
