import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey } from '@trainyard/test-support/auth';
import { request } from '@trainyard/test-support/http';
import { startApi, type RunningProcess } from '@trainyard/test-support/processes';
import { deletePrefix, redisUrl, testPrefix } from '@trainyard/test-support/redis';

/** Per-key request budgets counted in Redis, so two API replicas share them; submits and reads apart. */

const prefix = testPrefix('ratelimit');
const storageDir = mkdtempSync(join(tmpdir(), 'ty-ratelimit-'));
const limits = { RATE_LIMIT_SUBMITS: '4', RATE_LIMIT_READS: '6', RATE_LIMIT_WINDOW_S: '60' };
let apis: (RunningProcess & { url: string })[] = [];

beforeAll(async () => {
  const env = { QUEUE_PREFIX: prefix, STORAGE_URL: `file://${storageDir}`, ...limits };
  apis = await Promise.all([startApi(env), startApi(env)]);
});

afterAll(async () => {
  await Promise.all(apis.map((api) => api.stop()));
  await deletePrefix(prefix);
  rmSync(storageDir, { recursive: true, force: true });
});

const training = { model: 'line', algorithm: 'linear-regression', dataset: { inline: { features: [[1], [2]], labels: [1, 2] } } };
/** Alternates between the two replicas. */
const replica = (i: number) => apis[i % 2]!;

describe('rate limits per key, across two API replicas', () => {
  it('accept a key’s submit budget across both replicas, then answer 429 with Retry-After and RateLimit headers', async () => {
    const { key } = await createKey(replica(0).url, { tenant: 'acme', scopes: ['read', 'submit'] });
    const remaining: string[] = [];
    for (let i = 0; i < 4; i++) {
      const response = await request(`${replica(i).url}/v1/train`, { body: training, key });
      expect(response.status).toBe(202);
      expect(response.headers.get('ratelimit-policy')).toBe('"submit";q=4;w=60');
      remaining.push(/r=(\d+)/.exec(response.headers.get('ratelimit')!)![1]!);
    }
    expect(remaining).toEqual(['3', '2', '1', '0']);

    const refused = await request(`${replica(4).url}/v1/train`, { body: training, key });
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe('rate_limited');
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(refused.headers.get('ratelimit')).toBe(`"submit";r=0;t=${retryAfter}`);
    expect((await request(`${replica(5).url}/v1/predict`, { body: { model: 'line', inputs: [[1]] }, key })).status).toBe(429);

    // Nothing was queued for the refused requests.
    const queue = new Queue('train', { connection: { url: redisUrl }, prefix });
    expect(await queue.count()).toBe(4);
    await queue.close();
  });

  it('keep the read budget apart from the submit budget, and one key’s budget from another’s', async () => {
    const { key } = await createKey(replica(0).url, { tenant: 'acme', scopes: ['read', 'submit'] });
    const other = await createKey(replica(0).url, { tenant: 'acme', scopes: ['read', 'submit'] });
    for (let i = 0; i < 4; i++) expect((await request(`${replica(i).url}/v1/train`, { body: training, key })).status).toBe(202);
    expect((await request(`${replica(0).url}/v1/train`, { body: training, key })).status).toBe(429);

    for (let i = 0; i < 6; i++) {
      const read = await request(`${replica(i).url}/v1/models`, { key });
      expect(read.status).toBe(200);
      expect(read.headers.get('ratelimit-policy')).toBe('"read";q=6;w=60');
    }
    const refused = await request(`${replica(1).url}/v1/datasets`, { key });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('ratelimit')).toMatch(/^"read";r=0;t=\d+$/);

    expect((await request(`${replica(1).url}/v1/train`, { body: training, key: other.key })).status).toBe(202);
    expect((await request(`${replica(0).url}/v1/models`, { key: other.key })).status).toBe(200);
  });
});

describe('a budget spent a lease at a time', () => {
  const leasePrefix = testPrefix('ratelease');
  let pair: (RunningProcess & { url: string })[] = [];

  beforeAll(async () => {
    // 1,000 reads a window: each replica reserves 10 at a time from Redis and spends them from memory.
    const env = { QUEUE_PREFIX: leasePrefix, STORAGE_URL: `file://${storageDir}`, RATE_LIMIT_READS: '1000', RATE_LIMIT_WINDOW_S: '60' };
    pair = await Promise.all([startApi(env), startApi(env)]);
  });

  afterAll(async () => {
    await Promise.all(pair.map((api) => api.stop()));
    await deletePrefix(leasePrefix);
  });

  it('lets through no more than the budget across both replicas, and at most a lease less', async () => {
    const { key } = await createKey(pair[0]!.url, { tenant: 'acme', scopes: ['read'] });
    const statuses: number[] = [];
    for (let batch = 0; batch < 11; batch++) {
      const answers = await Promise.all(Array.from({ length: 100 }, (_, i) => request(`${pair[i % 2]!.url}/v1/models`, { key })));
      statuses.push(...answers.map((answer) => answer.status));
    }
    const accepted = statuses.filter((status) => status === 200).length;
    expect(statuses.filter((status) => status !== 200 && status !== 429)).toEqual([]);
    expect(accepted).toBeLessThanOrEqual(1_000);
    expect(accepted).toBeGreaterThanOrEqual(1_000 - 9);
  });
});
