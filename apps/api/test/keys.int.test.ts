import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey } from '@trainyard/test-support/auth';
import { request } from '@trainyard/test-support/http';
import { startApi, type RunningProcess } from '@trainyard/test-support/processes';
import { deletePrefix, redisUrl, testPrefix } from '@trainyard/test-support/redis';
import { ApiKeyStore, hashApiKey } from '../src/auth/api-keys.js';

/**
 * API keys across two API replicas: made and revoked over HTTP and with `npm run keys`, a
 * revocation reaching the other replica within a second, expiry, the bootstrap key, and AUTH=off.
 */

const prefix = testPrefix('keys');
const storageDir = mkdtempSync(join(tmpdir(), 'ty-keys-'));
const env = { QUEUE_PREFIX: prefix, STORAGE_URL: `file://${storageDir}` };
const redis = new Redis(redisUrl);
let a: RunningProcess & { url: string };
let b: RunningProcess & { url: string };

beforeAll(async () => {
  [a, b] = await Promise.all([startApi(env), startApi(env)]);
});

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  redis.disconnect();
  await deletePrefix(prefix);
  rmSync(storageDir, { recursive: true, force: true });
});

const cli = (...args: string[]) =>
  promisify(execFile)(process.execPath, ['apps/api/dist/keys-cli.js', ...args], {
    cwd: resolve(import.meta.dirname, '../../..'),
    env: { PATH: process.env.PATH, REDIS_URL: redisUrl, QUEUE_PREFIX: prefix },
  });

/** Milliseconds until the key is refused on the replica, polling as fast as a client would. */
async function refusedWithin(api: { url: string }, key: string, limitMs: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < limitMs) {
    const response = await request(`${api.url}/v1/models`, { key });
    if (response.status === 401) return Date.now() - started;
    expect(response.status).toBe(200);
  }
  throw new Error(`the key still worked ${limitMs} ms after its revocation`);
}

describe('a revoked key', () => {
  it('revoked on replica A is refused on replica B within a second, though B had just verified it', async () => {
    const { key, id } = await createKey(a.url, { tenant: 'acme', scopes: ['read'] });
    expect((await request(`${b.url}/v1/models`, { key })).status).toBe(200);
    expect((await request(`${a.url}/v1/admin/keys/${id}`, { method: 'DELETE' })).status).toBe(204);
    const ms = await refusedWithin(b, key, 1_000);
    console.info(`revoked on A, refused on B after ${ms} ms`);
    const refused = await request(`${b.url}/v1/models`, { key });
    expect(refused.body.error).toEqual({ code: 'unauthorized', message: 'this API key was revoked' });
    // Revoking again changes nothing; an unknown id is a 404.
    expect((await request(`${b.url}/v1/admin/keys/${id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await request(`${b.url}/v1/admin/keys/key_ffffffffffffffff`, { method: 'DELETE' })).status).toBe(404);
  });

  it('stops working at its expiry', async () => {
    const expiresAt = new Date(Date.now() + 1_500).toISOString();
    const { key } = await createKey(a.url, { tenant: 'acme', scopes: ['read'], expires_at: expiresAt });
    expect((await request(`${a.url}/v1/models`, { key })).status).toBe(200);
    await refusedWithin(a, key, 10_000);
    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(expiresAt));
    expect((await request(`${b.url}/v1/models`, { key })).body.error.message).toBe('this API key has expired');
  });
});

describe('npm run keys', () => {
  it('creates a key that works on every replica, lists it without its secret, and revokes it everywhere', async () => {
    const created = await cli('create', '--tenant', 'globex', '--name', 'ci', '--scopes', 'read,submit', '--min-priority', '20');
    const key = /^(ty_[A-Za-z0-9_-]{43})$/m.exec(created.stdout)?.[1];
    expect(key).toBeDefined();
    const id = /"id": "(key_[0-9a-f]{16})"/.exec(created.stdout)![1]!;
    for (const api of [a, b]) expect((await request(`${api.url}/v1/models`, { key })).status).toBe(200);

    const listed = await cli('list', '--tenant', 'globex');
    expect(listed.stdout).toContain(id);
    expect(listed.stdout).toContain('read,submit');
    expect(listed.stdout).not.toContain(key);

    const revoked = await cli('revoke', id);
    expect(revoked.stdout).toContain(`revoked ${id}`);
    await Promise.all([refusedWithin(a, key!, 1_000), refusedWithin(b, key!, 1_000)]);
  });

  it('refuses a key it cannot make, and an unknown command, with exit code 1', async () => {
    await expect(cli('create', '--tenant', 'Not A Tenant', '--name', 'x')).rejects.toMatchObject({ code: 1, stderr: expect.stringMatching(/tenant/) });
    await expect(cli('create', '--tenant', 'acme', '--name', 'x', '--scopes', 'everything')).rejects.toMatchObject({ code: 1, stderr: expect.stringMatching(/scopes/) });
    await expect(cli('revoke', 'key_0000000000000000')).rejects.toMatchObject({ code: 1, stderr: expect.stringMatching(/no API key/) });
    await expect(cli('rotate')).rejects.toMatchObject({ code: 1, stderr: expect.stringMatching(/usage/) });
  });
});

describe('what is kept of a key', () => {
  it('is its SHA-256 only, with last_used_at written after use', async () => {
    const { key, id } = await createKey(a.url, { tenant: 'acme', scopes: ['read'] });
    expect((await request(`${b.url}/v1/models`, { key })).status).toBe(200);
    const stored: string[] = [];
    for (const name of await redis.keys(`${prefix}:auth:*`)) {
      const type = await redis.type(name);
      stored.push(type === 'string' ? (await redis.get(name))! : JSON.stringify(await redis.hgetall(name)));
    }
    expect(stored.join('\n')).not.toContain(key);
    await expect.poll(async () => (await request(`${a.url}/v1/admin/keys?tenant=acme`)).body.keys.find((k: { id: string }) => k.id === id)?.last_used_at).toEqual(expect.any(String));
    const listed = (await request(`${a.url}/v1/admin/keys?tenant=acme`)).body.keys.find((k: { id: string }) => k.id === id);
    expect(listed).not.toHaveProperty('hash');
    expect(listed).not.toHaveProperty('key');
  });
});

describe('the bootstrap key', () => {
  it('is an admin key of tenant default, and once revoked a restart does not bring it back', async () => {
    const bootstrap = `ty_${'bootstrap-key-of-this-test'.padEnd(43, '1')}`;
    let api = await startApi({ ...env, BOOTSTRAP_API_KEY: bootstrap });
    try {
      const record = await new ApiKeyStore(redis, prefix).find(hashApiKey(bootstrap).toString('hex'));
      expect(record).toMatchObject({ tenant: 'default', name: 'bootstrap', scopes: ['admin'], revoked_at: null });
      expect((await request(`${api.url}/v1/admin/keys`, { key: bootstrap })).status).toBe(200);
      expect((await request(`${api.url}/v1/admin/keys/${record!.id}`, { method: 'DELETE', key: bootstrap })).status).toBe(204);
      expect((await request(`${api.url}/v1/models`, { key: bootstrap })).status).toBe(401);
    } finally {
      await api.stop();
    }
    api = await startApi({ ...env, BOOTSTRAP_API_KEY: bootstrap });
    try {
      await api.waitForLine(/BOOTSTRAP_API_KEY was revoked and stays revoked/);
      expect((await request(`${api.url}/v1/models`, { key: bootstrap })).status).toBe(401);
    } finally {
      await api.stop();
    }
  });
});

describe('AUTH=off on 127.0.0.1', () => {
  it('serves tenant default without a key or rate limit, and mounts no Bull Board without BOARD_USER', async () => {
    const api = await startApi({ ...env, AUTH: 'off', HOST: '127.0.0.1' });
    try {
      const models = await request(`${api.url}/v1/models`, { key: null });
      expect(models.status).toBe(200);
      expect(models.headers.get('ratelimit')).toBeNull();
      expect((await fetch(`${api.url}/admin/queues`)).status).toBe(404);
      await api.waitForLine(/Bull Board is not mounted/);
    } finally {
      await api.stop();
    }
  });
});
