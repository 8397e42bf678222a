import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey } from '@trainyard/test-support/auth';
import { request } from '@trainyard/test-support/http';
import { startApi, type RunningProcess } from '@trainyard/test-support/processes';
import { deletePrefix, redisUrl, testPrefix } from '@trainyard/test-support/redis';

/** Idempotency-Key on submits, on two API replicas: one task per key and body, never a second one. */

const prefix = testPrefix('idempotency');
const storageDir = mkdtempSync(join(tmpdir(), 'ty-idempotency-'));
let apis: (RunningProcess & { url: string })[] = [];
const queue = new Queue('train', { connection: { url: redisUrl }, prefix });

beforeAll(async () => {
  const env = { QUEUE_PREFIX: prefix, STORAGE_URL: `file://${storageDir}` };
  apis = await Promise.all([startApi(env), startApi(env)]);
});

afterAll(async () => {
  await Promise.all(apis.map((api) => api.stop()));
  await queue.close();
  await deletePrefix(prefix);
  rmSync(storageDir, { recursive: true, force: true });
});

const line = (model: string) => ({ model, algorithm: 'linear-regression', dataset: { inline: { features: [[1], [2]], labels: [1, 2] } } });
const submit = (replica: number, body: unknown, idempotencyKey: string, extra: { key?: string; prefer?: string } = {}) =>
  request(`${apis[replica % 2]!.url}/v1/train`, {
    body,
    key: extra.key,
    headers: { 'idempotency-key': idempotencyKey, ...(extra.prefer ? { prefer: extra.prefer } : {}) },
  });

describe('Idempotency-Key', () => {
  it('answers the same task to the same key and body, on either replica, and 422 to the same key with another body', async () => {
    const before = await queue.count();
    const first = await submit(0, line('same'), 'order-1');
    const again = await submit(1, line('same'), 'order-1');
    const quoted = await submit(0, line('same'), '"order-1"', { prefer: 'wait=1' });
    expect(first.status).toBe(202);
    expect(again.status).toBe(202);
    expect(again.body).toEqual(first.body);
    expect(quoted.body.task_id).toBe(first.body.task_id);
    expect(await queue.count()).toBe(before + 1);

    const reused = await submit(1, line('other'), 'order-1');
    expect(reused.status).toBe(422);
    expect(reused.body.error.code).toBe('idempotency_key_reused');
  });

  it('queues one task for many identical requests in flight at once', async () => {
    const before = await queue.count();
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => submit(i, line('burst'), 'burst-1')));
    expect(answers.map((answer) => answer.status)).toEqual(Array(12).fill(202));
    expect(new Set(answers.map((answer) => answer.body.task_id)).size).toBe(1);
    expect(await queue.count()).toBe(before + 1);
  });

  it('keeps each tenant’s keys apart', async () => {
    const { key } = await createKey(apis[0]!.url, { tenant: 'acme' });
    const ours = await submit(0, line('tenants'), 'shared-key');
    const theirs = await submit(1, line('tenants'), 'shared-key', { key });
    expect(theirs.status).toBe(202);
    expect(theirs.body.task_id).not.toBe(ours.body.task_id);
    expect((await request(`${apis[0]!.url}/v1/tasks/${theirs.body.task_id}`, { key })).status).toBe(200);
  });

  it('leaves the key free when the first request was refused, so the corrected request runs', async () => {
    const missing = await submit(0, { ...line('fixed'), dataset: { name: 'nowhere', target: 'y' } }, 'retry-me');
    expect(missing.status).toBe(404);
    const fixed = await submit(1, line('fixed'), 'retry-me');
    expect(fixed.status).toBe(202);
  });

  it.each([
    ['an empty key', ''],
    ['a key of 256 characters', 'k'.repeat(256)],
    ['a key with a space', 'two words'],
    ['a key with a control character', 'tab\there'],
  ])('refuses %s with 400 naming the header', async (_what, idempotencyKey) => {
    const response = await submit(0, line('bad-key'), idempotencyKey);
    expect(response.status).toBe(400);
    expect(response.body.error.issues[0].path).toBe('Idempotency-Key');
  });
});
