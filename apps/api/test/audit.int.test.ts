import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey } from '@trainyard/test-support/auth';
import { request } from '@trainyard/test-support/http';
import { startApi, type RunningProcess } from '@trainyard/test-support/processes';
import { deletePrefix, testPrefix } from '@trainyard/test-support/redis';

/** Every mutating call leaves {at, tenant, key_id, action, target, outcome} in the audit stream; reads leave nothing. */

const prefix = testPrefix('audit');
const storageDir = mkdtempSync(join(tmpdir(), 'ty-audit-'));
let api: RunningProcess & { url: string };

beforeAll(async () => {
  api = await startApi({ QUEUE_PREFIX: prefix, STORAGE_URL: `file://${storageDir}` });
});

afterAll(async () => {
  await api?.stop();
  await deletePrefix(prefix);
  rmSync(storageDir, { recursive: true, force: true });
});

interface Entry {
  id: string;
  at: string;
  tenant: string;
  key_id: string | null;
  action: string;
  target: string;
  outcome: string;
}

const audit = async (query = ''): Promise<{ entries: Entry[]; next: string | null }> => (await request(`${api.url}/v1/admin/audit${query}`)).body;

describe('the audit log', () => {
  it('records each mutating call, refused ones too, with who, what, on what and how it ended', async () => {
    const acme = await createKey(api.url, { tenant: 'acme', scopes: ['read', 'submit', 'manage'] });
    const reader = await createKey(api.url, { tenant: 'acme', scopes: ['read'] });
    const as = (key: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
      request(`${api.url}${path}`, { method, key, body, headers });

    expect((await as(acme.key, 'PUT', '/v1/datasets/points', 'a,b\n1,2\n', { 'content-type': 'text/csv' })).status).toBe(201);
    expect((await as(reader.key, 'DELETE', '/v1/datasets/points')).status).toBe(403);
    expect((await as(acme.key, 'GET', '/v1/datasets/points')).status).toBe(200);
    expect((await as(acme.key, 'DELETE', '/v1/datasets/points')).status).toBe(204);
    expect((await as(acme.key, 'PUT', '/v1/models/nothing/aliases/production', { version: 1 })).status).toBe(404);
    expect((await as(acme.key, 'DELETE', '/v1/models/nothing/cache')).status).toBe(404);
    const task = await as(acme.key, 'POST', '/v1/train', { model: 'm', algorithm: 'linear-regression', dataset: { inline: { features: [[1], [2]], labels: [1, 2] } } });
    expect((await as(acme.key, 'POST', `/v1/tasks/${task.body.task_id}/cancel`)).status).toBe(200);
    expect((await request(`${api.url}/v1/admin/keys/${reader.id}`, { method: 'DELETE' })).status).toBe(204);

    const { entries } = await audit('?tenant=acme');
    expect(entries.map(({ key_id, action, target, outcome }) => ({ key_id, action, target, outcome }))).toEqual([
      { key_id: acme.id, action: 'task.cancel', target: task.body.task_id, outcome: 'ok' },
      { key_id: acme.id, action: 'model.cache.drop', target: 'nothing', outcome: 'not_found' },
      { key_id: acme.id, action: 'model.alias.set', target: 'nothing:production', outcome: 'not_found' },
      { key_id: acme.id, action: 'dataset.delete', target: 'points', outcome: 'ok' },
      { key_id: reader.id, action: 'dataset.delete', target: 'points', outcome: 'forbidden' },
      { key_id: acme.id, action: 'dataset.upload', target: 'points', outcome: 'ok' },
    ]);
    expect(entries.every((entry) => entry.tenant === 'acme' && !Number.isNaN(Date.parse(entry.at)))).toBe(true);

    // The admin's key changes are tenant default's entries, naming what they changed.
    const own = (await audit('?tenant=default')).entries.map(({ action, target }) => `${action} ${target}`);
    expect(own.slice(0, 3)).toEqual([`key.revoke ${reader.id}`, 'key.create acme', 'key.create acme']);
  });

  it('pages newest first', async () => {
    const all = (await audit()).entries;
    const first = await audit('?limit=2');
    expect(first.entries.map((e) => e.id)).toEqual(all.slice(0, 2).map((e) => e.id));
    const second = await audit(`?limit=2&before=${first.next}`);
    expect(second.entries.map((e) => e.id)).toEqual(all.slice(2, 4).map((e) => e.id));
    expect((await request(`${api.url}/v1/admin/audit?limit=0`)).status).toBe(400);
  });
});
