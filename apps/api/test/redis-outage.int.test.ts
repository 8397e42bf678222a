import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from '@trainyard/test-support/http';
import { startApi, type RunningProcess } from '@trainyard/test-support/processes';
import { PrivateRedis } from '@trainyard/test-support/redis-server';

const storageDir = mkdtempSync(join(tmpdir(), 'ty-outage-'));
const inlineTraining = {
  model: 'outage',
  algorithm: 'linear-regression',
  dataset: { inline: { features: [[1], [2], [3]], labels: [1, 2, 3] } },
};
let redis: PrivateRedis;
let api: RunningProcess & { url: string };

beforeAll(async () => {
  redis = await PrivateRedis.start();
  api = await startApi({ REDIS_URL: redis.url, QUEUE_PREFIX: 'outage', STORAGE_URL: `file://${storageDir}` });
});

afterAll(async () => {
  await api?.stop();
  await redis?.stop();
  rmSync(storageDir, { recursive: true, force: true });
});

describe('when Redis goes away', () => {
  it('the API answers 503 at once, keeps liveness, and works again when Redis is back', async () => {
    expect((await request(`${api.url}/v1/train`, { body: inlineTraining })).status).toBe(202);

    await redis.stop();
    const started = Date.now();
    const submit = await request(`${api.url}/v1/train`, { body: inlineTraining });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(submit.status).toBe(503);
    expect(submit.body.error.code).toBe('unavailable');

    const read = await request(`${api.url}/v1/tasks/train-${'0'.repeat(32)}`);
    expect(read.status).toBe(503);
    const ready = await request(`${api.url}/ready`);
    expect(ready.status).toBe(503);
    expect(ready.body.checks.redis).not.toBe('ok');
    expect(ready.body.checks.storage).toBe('ok');
    expect((await request(`${api.url}/health`)).status).toBe(200);

    await redis.restart();
    let status = 0;
    for (let i = 0; i < 100 && status !== 202; i++) {
      await new Promise((r) => setTimeout(r, 100));
      status = (await request(`${api.url}/v1/train`, { body: inlineTraining })).status;
    }
    expect(status).toBe(202);
    expect((await request(`${api.url}/ready`)).status).toBe(200);
    // The outage is logged once as it starts and once as it ends, not at every reconnect attempt.
    expect(api.lines.filter((line) => line.includes('Redis (queue) unreachable'))).toHaveLength(1);
    expect(api.lines.filter((line) => line.includes('Redis (queue) reachable again'))).toHaveLength(1);
  });
});
