import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { boardAuth, createKey } from '@trainyard/test-support/auth';
import { request } from '@trainyard/test-support/http';
import { startApi, type RunningProcess } from '@trainyard/test-support/processes';
import { deletePrefix, redisUrl, testPrefix } from '@trainyard/test-support/redis';

/**
 * Bull Board only behind credentials (BOARD_USER/BOARD_PASSWORD, or an admin API key as the
 * password), read-only unless BOARD_READ_ONLY=false. (With AUTH=off and no BOARD_USER it is not
 * mounted at all: keys.int.test.ts.)
 */

const prefix = testPrefix('board');
const storageDir = mkdtempSync(join(tmpdir(), 'ty-board-'));
const board = { user: 'ops', password: 'correct horse battery staple' };
let readOnly: RunningProcess & { url: string };
let writable: RunningProcess & { url: string };
const trainQueue = new Queue('train', { connection: { url: redisUrl }, prefix });

beforeAll(async () => {
  const env = { QUEUE_PREFIX: prefix, STORAGE_URL: `file://${storageDir}` };
  [readOnly, writable] = await Promise.all([
    startApi({ ...env, BOARD_USER: board.user, BOARD_PASSWORD: board.password }),
    startApi({ ...env, BOARD_READ_ONLY: 'false' }),
  ]);
});

afterAll(async () => {
  await Promise.all([readOnly?.stop(), writable?.stop()]);
  await trainQueue.close();
  await deletePrefix(prefix);
  rmSync(storageDir, { recursive: true, force: true });
});

const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });
const queues = (api: { url: string }, headers: Record<string, string>) => request(`${api.url}/admin/queues/api/queues`, { key: null, headers });

describe('Bull Board', () => {
  it('opens to BOARD_USER/BOARD_PASSWORD and to an admin key, to nothing else', async () => {
    const anonymous = await fetch(`${readOnly.url}/admin/queues`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic realm="Trainyard queues"/);
    expect((await queues(readOnly, basic(board.user, 'wrong'))).status).toBe(401);
    expect((await queues(readOnly, basic('someone', board.password))).status).toBe(401);

    expect((await queues(readOnly, basic(board.user, board.password))).status).toBe(200);
    const page = await fetch(`${readOnly.url}/admin/queues`, { headers: boardAuth() });
    expect(page.status).toBe(200);
    expect(page.headers.get('x-powered-by')).toBeNull();
    expect((await queues(writable, boardAuth())).body.queues.map((q: { name: string }) => q.name).sort()).toEqual(['batch', 'batch-chunks', 'notify', 'predict', 'train']);

    const manager = await createKey(readOnly.url, { tenant: 'default', scopes: ['read', 'submit', 'manage'] });
    expect((await queues(readOnly, boardAuth(manager.key))).status).toBe(401);
    const admin = await createKey(readOnly.url, { tenant: 'default', scopes: ['admin'] });
    expect((await queues(writable, boardAuth(admin.key))).status).toBe(200);
    await request(`${readOnly.url}/v1/admin/keys/${admin.id}`, { method: 'DELETE' });
    await expect.poll(async () => (await queues(writable, boardAuth(admin.key))).status).toBe(401);
  });

  it('is read-only by default: it shows the queues and refuses every action', async () => {
    const listed = await queues(readOnly, boardAuth());
    expect(listed.body.queues.every((queue: { readOnlyMode: boolean }) => queue.readOnlyMode)).toBe(true);
    for (const [method, path] of [
      ['PUT', '/admin/queues/api/queues/train/pause'],
      ['PUT', '/admin/queues/api/queues/pause'],
      ['PUT', '/admin/queues/api/queues/train/retry/failed'],
      ['POST', '/admin/queues/api/queues/train/add'],
    ] as const) {
      const response = await request(`${readOnly.url}${path}`, { method, key: null, headers: boardAuth(), body: method === 'POST' ? { name: 'model.train', data: {} } : undefined });
      expect(response.status, `${method} ${path}`).toBe(403);
      expect(response.body.error.code).toBe('forbidden');
    }
    expect(await trainQueue.isPaused()).toBe(false);
    expect(await trainQueue.count()).toBe(0);
  });

  it('takes actions with BOARD_READ_ONLY=false', async () => {
    expect((await request(`${writable.url}/admin/queues/api/queues/train/pause`, { method: 'PUT', key: null, headers: boardAuth() })).status).toBe(200);
    expect(await trainQueue.isPaused()).toBe(true);
    expect((await request(`${writable.url}/admin/queues/api/queues/train/resume`, { method: 'PUT', key: null, headers: boardAuth() })).status).toBe(200);
    expect(await trainQueue.isPaused()).toBe(false);
  });
});
