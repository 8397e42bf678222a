import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { modelVersion } from '@trainyard/test-support/models';
import { deletePrefix, redisUrl, testPrefix } from '@trainyard/test-support/redis';
import { KnownModels, modelChangesChannel } from '../src/models/known-models.js';
import { ModelRegistry } from '../src/models/registry.js';
import { ChangeFeed } from '../src/platform/change-feed.js';
import { FsObjectStore } from '../src/storage/fs-store.js';

/**
 * Two processes' registries on their own connections: the writer changes a model, the reader keeps
 * resolutions in memory (KnownModels on its own change feed) and must see every change right after
 * its message arrives.
 */

const prefix = testPrefix('known-models');
const root = mkdtempSync(join(tmpdir(), 'ty-known-models-'));
const store = new FsObjectStore(root);
const writerRedis = new Redis(redisUrl);
const readerRedis = new Redis(redisUrl);
const subscriber = new Redis(redisUrl);
const feed = new ChangeFeed(subscriber);
const writer = new ModelRegistry(writerRedis, store, prefix);
const reader = new ModelRegistry(readerRedis, store, prefix, 'default', await KnownModels.follow(feed, prefix));

/** Resolves on the next change message the reader's feed hands on (after KnownModels, which follows first). */
const pendingChanges: (() => void)[] = [];
await feed.follow(modelChangesChannel(prefix), { changed: () => pendingChanges.shift()?.(), forgetAll: () => {} });
const nextChange = () => new Promise<void>((resolve) => pendingChanges.push(resolve));

afterAll(async () => {
  feed.close();
  writerRedis.disconnect();
  readerRedis.disconnect();
  await deletePrefix(prefix);
  rmSync(root, { recursive: true, force: true });
});


const latestOf = async (model: string) => (await reader.resolve(model))?.version;

describe('model resolutions kept in memory', () => {
  it('answers a new latest version as soon as its publication is announced', async () => {
    await writer.publish(modelVersion('iris', 1));
    expect(await latestOf('iris')).toBe(1);
    const changed = nextChange();
    await writer.publish(modelVersion('iris', 2));
    await changed;
    expect(await latestOf('iris')).toBe(2);
  });

  it('follows an alias and its route to wherever they are moved', async () => {
    await writer.publish(modelVersion('wine', 1));
    await writer.publish(modelVersion('wine', 2));
    let changed = nextChange();
    await writer.setAlias('wine', 'prod', 1);
    await changed;
    expect((await reader.resolve('wine', 'prod'))?.version).toBe(1);
    expect((await reader.route('wine', 'prod'))?.version.version).toBe(1);
    changed = nextChange();
    await writer.setAlias('wine', 'prod', { versions: { 2: 1 }, shadow: 1 });
    await changed;
    expect(await reader.route('wine', 'prod', 'anyone')).toMatchObject({ version: { version: 2 }, alias: 'prod', shadow: 1 });
    changed = nextChange();
    await writer.removeAlias('wine', 'prod');
    await changed;
    expect(await reader.resolve('wine', 'prod')).toBeNull();
  });

  it('stops answering a deleted version, and latest falls back to the one before', async () => {
    await writer.publish(modelVersion('digits', 1));
    await writer.publish(modelVersion('digits', 2));
    expect((await reader.resolve('digits', 2))?.version).toBe(2);
    expect(await latestOf('digits')).toBe(2);
    const changed = nextChange();
    await writer.deleteVersion('digits', 2);
    await changed;
    expect(await reader.resolve('digits', 2)).toBeNull();
    expect(await latestOf('digits')).toBe(1);
  });

  it('keeps a resolution between changes, and forgets everything when the feed’s connection drops', async () => {
    await writer.publish(modelVersion('moons', 1));
    expect(await latestOf('moons')).toBe(1);
    // A change nobody announces (as if its message were lost) is not seen while the resolution is kept…
    await writerRedis.set(`${prefix}:model:moons:latest`, JSON.stringify(modelVersion('moons', 7)));
    expect(await latestOf('moons')).toBe(1);
    // …and is once the connection that would have carried the message goes.
    const closed = new Promise((resolve) => subscriber.once('close', resolve));
    subscriber.disconnect(true);
    await closed;
    expect(await latestOf('moons')).toBe(7);
  });
});
