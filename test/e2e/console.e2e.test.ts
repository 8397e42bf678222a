import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer } from '@trainyard/test-support/auth';
import { startApi, type RunningProcess } from '@trainyard/test-support/processes';
import { deletePrefix, testPrefix } from '@trainyard/test-support/redis';
import { tempStorage } from '@trainyard/test-support/stack';

const prefix = testPrefix('console-static');
const storage = tempStorage('console-static');
/** An empty folder: a console that was never built. */
const unbuilt = mkdtempSync(join(tmpdir(), 'ty-no-console-'));
let api: RunningProcess & { url: string };
let bare: RunningProcess & { url: string };

beforeAll(async () => {
  const env = { QUEUE_PREFIX: prefix, STORAGE_URL: storage.url };
  [api, bare] = await Promise.all([startApi(env), startApi({ ...env, CONSOLE_DIR: unbuilt })]);
});

afterAll(async () => {
  await Promise.all([api?.stop(), bare?.stop()]);
  await deletePrefix(prefix);
  storage.remove();
  rmSync(unbuilt, { recursive: true, force: true });
});

describe('the console served by the API', () => {
  it('when / is asked for, then index.html comes uncached, and its hashed assets cached for a year', async () => {
    const index = await fetch(`${api.url}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toMatch(/^text\/html/);
    expect(index.headers.get('cache-control')).toBe('no-cache');
    expect(index.headers.get('content-security-policy')).toContain("default-src 'self'");
    const html = await index.text();
    const script = /src="\.\/(assets\/index-[\w-]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    expect(readdirSync(resolve(import.meta.dirname, '../../apps/console/dist/assets'))).toContain(script!.slice('assets/'.length));

    const asset = await fetch(`${api.url}/${script}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toMatch(/javascript/);
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    await asset.arrayBuffer();
  });

  it('when the console is served, then /health, /v1 and unknown paths answer as before', async () => {
    expect((await fetch(`${api.url}/health`)).status).toBe(200);
    expect((await fetch(`${api.url}/v1/models`)).status).toBe(401);
    expect((await fetch(`${api.url}/v1/models`, { headers: bearer() })).status).toBe(200);
    const missing = await fetch(`${api.url}/assets/nothing-here.js`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: { code: 'not_found', message: expect.any(String) } });
  });

  it('when the console is not built, then / is a JSON 404, the API works, and the log says why', async () => {
    const root = await fetch(`${bare.url}/`);
    expect(root.status).toBe(404);
    expect(await root.json()).toEqual({ error: { code: 'not_found', message: expect.any(String) } });
    expect((await fetch(`${bare.url}/v1/models`, { headers: bearer() })).status).toBe(200);
    await bare.waitForLine(/the web console is not built there/);
  });
});
