import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { modelVersion } from '@trainyard/test-support/models';
import { deletePrefix, redisUrl, testPrefix } from '@trainyard/test-support/redis';
import { ModelRegistry } from '../src/models/registry.js';
import { ConflictError, InvalidRequestError, NotFoundError } from '../src/platform/errors.js';
import { FsObjectStore } from '../src/storage/fs-store.js';

/** The registry against real Redis and a real store: tenants apart, versions published once, aliases as plain data. */

const prefix = testPrefix('registry');
const root = mkdtempSync(join(tmpdir(), 'ty-registry-'));
const redis = new Redis(redisUrl);
const store = new FsObjectStore(root);
const registry = new ModelRegistry(redis, store, prefix);

afterAll(async () => {
  redis.disconnect();
  await deletePrefix(prefix);
  rmSync(root, { recursive: true, force: true });
});


const storedKeys = async (under: string) => {
  const keys: string[] = [];
  for await (const object of store.list(under)) keys.push(object.key);
  return keys;
};

describe('the model registry', () => {
  it('keeps tenant default in the layout from before tenants and every other tenant under its own keys', async () => {
    await registry.publish(modelVersion('shared-name', 1));
    await registry.forTenant('acme').publish(modelVersion('shared-name', 1));
    await registry.forTenant('acme').publish(modelVersion('shared-name', 2));
    expect(await storedKeys('models/shared-name/')).toEqual(['models/shared-name/1/metadata.json']);
    expect(await storedKeys('tenants/acme/models/shared-name/')).toEqual(['tenants/acme/models/shared-name/1/metadata.json', 'tenants/acme/models/shared-name/2/metadata.json']);
    expect(await redis.exists(`${prefix}:model:shared-name:latest`, `${prefix}:t:acme:model:shared-name:latest`)).toBe(2);
    expect((await registry.get('shared-name'))?.version).toBe(1);
    expect((await registry.forTenant('acme').get('shared-name'))?.version).toBe(2);
    expect(await registry.forTenant('globex').get('shared-name')).toBeNull();
    expect(await registry.forTenant('globex').list()).toEqual([]);
  });

  it('publishes a version once: a second run of the same training gets the stored version, not its own weights', async () => {
    const version = await registry.versionFor('once', 'train-once');
    const runs = await Promise.all(
      ['first', 'second'].map((run) => registry.publishOnce({ ...modelVersion('once', version, 'train-once'), params: { run } }, { 'model.json': run, 'weights.bin': new TextEncoder().encode(run) })),
    );
    expect(runs[1]).toEqual(runs[0]);
    const winner = (runs[0]!.params as { run: string }).run;
    expect((await store.get(`models/once/${version}/weights.bin`))!.toString()).toBe(winner);
    expect((await store.get(`models/once/${version}/model.json`))!.toString()).toBe(winner);
    expect(await registry.finishedVersionOf('once', 'train-once')).toEqual(runs[0]);
    expect(await registry.versionFor('once', 'train-once')).toBe(version);
  });

  it('gives a training whose version was deleted a new number', async () => {
    const version = await registry.versionFor('deleted', 'train-d');
    await registry.publishOnce(modelVersion('deleted', version, 'train-d'), { 'model.json': '{}', 'weights.bin': new Uint8Array(4) });
    await registry.deleteVersion('deleted', version);
    expect(await registry.finishedVersionOf('deleted', 'train-d')).toBeNull();
    expect(await registry.versionFor('deleted', 'train-d')).toBe(version + 1);
  });

  it('takes alias names such as constructor as plain data, never as something inherited', async () => {
    await registry.publish(modelVersion('aliased', 1));
    expect(await registry.resolve('aliased', 'constructor')).toBeNull();
    expect(await registry.resolve('aliased', 'hasOwnProperty')).toBeNull();
    await expect(registry.removeAlias('aliased', 'constructor')).rejects.toBeInstanceOf(NotFoundError);
    await registry.setAlias('aliased', 'constructor', 1);
    expect((await registry.resolve('aliased', 'constructor'))?.version).toBe(1);
    expect((await registry.removeAlias('aliased', 'constructor')).aliases).toEqual({});
  });

  it('routes a split alias by weight and key, names its shadow, and keeps a one-version route a plain pointer', async () => {
    for (const version of [1, 2, 3]) await registry.publish(modelVersion('rolled', version));
    const saved = await registry.setAlias('rolled', 'production', { versions: { '1': 10, '2': 90 }, shadow: 3 });
    expect(saved.aliases).toEqual({ production: 2 });
    expect(saved.routes).toEqual({ production: { versions: { '1': 10, '2': 90 }, shadow: 3 } });
    // A plain lookup (GET …/versions/production) names the version with most of the traffic.
    expect((await registry.resolve('rolled', 'production'))?.version).toBe(2);
    const routed = await registry.route('rolled', 'production', 'user-7');
    expect(routed).toMatchObject({ alias: 'production', shadow: 3 });
    expect([1, 2]).toContain(routed!.version.version);
    for (let i = 0; i < 5; i++) expect((await registry.route('rolled', 'production', 'user-7'))!.version.version).toBe(routed!.version.version);
    expect(await registry.route('rolled', 2)).toEqual({ version: expect.objectContaining({ version: 2 }) });

    const plain = await registry.setAlias('rolled', 'production', { versions: { '3': 5 } });
    expect(plain).toMatchObject({ aliases: { production: 3 }, routes: {} });
    expect(await registry.route('rolled', 'production')).toEqual({ version: expect.objectContaining({ version: 3 }) });
  });

  it('refuses deleting a version an alias splits to or shadows with, and a shadow that reads other features', async () => {
    for (const version of [1, 2, 3]) await registry.publish(modelVersion('guarded', version));
    await registry.publish({ ...modelVersion('guarded', 4), feature_names: ['other'] });
    await registry.setAlias('guarded', 'canary', { versions: { '1': 1, '2': 1 }, shadow: 3 });
    for (const version of [1, 2, 3]) await expect(registry.deleteVersion('guarded', version)).rejects.toBeInstanceOf(ConflictError);
    await expect(registry.setAlias('guarded', 'canary', { versions: { '1': 1 }, shadow: 4 })).rejects.toBeInstanceOf(InvalidRequestError);
    await registry.removeAlias('guarded', 'canary');
    await registry.deleteVersion('guarded', 3);
    expect(await registry.wasDeleted('guarded', 3)).toBe(true);
    expect(await registry.wasDeleted('guarded', 2)).toBe(false);
  });
});
