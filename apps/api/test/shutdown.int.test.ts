import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, testAdminKey } from '@trainyard/test-support/auth';
import { request } from '@trainyard/test-support/http';
import { deletePrefix, redisUrl, testPrefix } from '@trainyard/test-support/redis';
import { loadConfig } from '../src/config.js';
import { startApi, type ApiService } from '../src/service.js';

/** The API run in-process through start(config)/stop(): stopping answers waiting requests and ends event streams cleanly. */

const prefix = testPrefix('shutdown');
const storageDir = mkdtempSync(join(tmpdir(), 'ty-shutdown-'));
const redis = new Redis(redisUrl);
const trainQueue = new Queue('train', { connection: redis, prefix });
let api: ApiService;

beforeAll(async () => {
  const config = loadConfig({
    REDIS_URL: redisUrl,
    QUEUE_PREFIX: prefix,
    STORAGE_URL: `file://${storageDir}`,
    PORT: '0',
    EVENTS_HEARTBEAT_MS: '60000',
    BOOTSTRAP_API_KEY: testAdminKey,
  });
  api = await startApi(config, { log: pino({ level: 'silent' }) });
});

afterAll(async () => {
  await api.stop();
  await trainQueue.close();
  await deletePrefix(prefix);
  redis.disconnect();
  rmSync(storageDir, { recursive: true, force: true });
});

async function until(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Reads a response body to its end; rejects if the connection is cut instead of ended. */
async function readToEnd(response: Response): Promise<string> {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = '';
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) text += chunk.value;
  return text;
}

describe('stopping the API', () => {
  it('answers a waiting request with its task as it stands and ends an event stream, then stops', async () => {
    // No worker runs: the task stays PENDING, so both requests would wait for a long time.
    const submitted = await request(`${api.url}/v1/train`, {
      body: { model: 'drain', algorithm: 'linear-regression', dataset: { inline: { features: [[1], [2]], labels: [1, 2] } } },
    });
    expect(submitted.status).toBe(202);
    const taskId = submitted.body.task_id as string;

    const stream = await fetch(`${api.url}/v1/tasks/${taskId}/events`, { headers: { accept: 'text/event-stream', ...bearer() } });
    // 200: the stream follows the task's log.
    expect(stream.status).toBe(200);
    const streamed = readToEnd(stream);
    // A submit that waits: once its task is queued, the request is in the API, waiting (or about to).
    const waiting = fetch(`${api.url}/v1/train`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', prefer: 'wait=60', ...bearer() },
      body: JSON.stringify({ model: 'drain-wait', algorithm: 'linear-regression', dataset: { inline: { features: [[1], [2]], labels: [1, 2] } } }),
    });
    await until(async () => (await trainQueue.count()) === 2);

    const stopping = Date.now();
    const stopped = api.stop();
    const answer = await waiting;
    expect(answer.status).toBe(202);
    expect(answer.headers.get('location')).toMatch(/^\/v1\/tasks\/train-/);
    expect(((await answer.json()) as { status: string }).status).toBe('PENDING');
    expect(await streamed).toContain('"status":"PENDING"');
    await stopped;
    console.log(`stopped ${Date.now() - stopping} ms after stop()`);
    expect(Date.now() - stopping).toBeLessThan(5_000);
    await expect(fetch(`${api.url}/health`)).rejects.toThrow();
  });
});
