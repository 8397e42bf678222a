import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ObjectInfo, ObjectStore } from '../src/storage/index.js';

export interface ObjectStoreHarness {
  /** An empty store of its own, in the harness's backend. */
  open(): Promise<ObjectStore>;
  /** A working store plus a way to take its backend away, as a stopped server or a lost disk would. */
  openFragile(): Promise<{ store: ObjectStore; takeDown(): Promise<void> }>;
  /** Whatever the backend holds outside every store the harness opened; a key that escaped would show here. */
  strayObjects(): Promise<string[]>;
  close(): Promise<void>;
}

const mb = 1024 * 1024;

/** Keys a caller could be tricked into passing; each must be refused before reaching the backend. */
const escapeProbe = join(tmpdir(), `ty-escape-probe-${randomBytes(4).toString('hex')}`);
const unsafeKeys = [
  '../x',
  '../../x',
  '/etc/passwd',
  escapeProbe,
  'a/../../b',
  'a/%2e%2e/b',
  'a%2Fb',
  'a\u0000b',
  'a//b',
  './a',
  'A/../b',
  'a\\..\\b',
  '..\\x',
  'models/../../x',
  'models/..',
  '.',
  '..',
  '',
  '/a',
  'a/',
  'Models/a',
];
/** Writes never aim at a real system file, even if a regression let one through. */
const unsafeWriteKeys = unsafeKeys.filter((key) => key !== '/etc/passwd');

/** The behaviour every ObjectStore driver promises, run against a driver's harness. */
export function describeObjectStoreContract(name: string, createHarness: () => Promise<ObjectStoreHarness>): void {
  describe(`${name} object store`, () => {
    let harness: ObjectStoreHarness;
    let store: ObjectStore;

    beforeAll(async () => {
      harness = await createHarness();
    });
    afterAll(async () => {
      await harness?.close();
    });
    const openStore = async () => {
      store = await harness.open();
    };

    describe('reading and writing', () => {
      beforeAll(openStore);

      it('returns the bytes put, whatever the body type', async () => {
        await store.put('bodies/text.txt', 'héllo');
        await store.put('bodies/bytes.bin', new Uint8Array([0, 1, 254, 255]));
        await store.put('bodies/stream.bin', Readable.from([Buffer.from('ab'), Buffer.from('cd')]));

        expect((await store.get('bodies/text.txt'))?.toString('utf8')).toBe('héllo');
        expect([...((await store.get('bodies/bytes.bin')) ?? [])]).toEqual([0, 1, 254, 255]);
        expect((await store.get('bodies/stream.bin'))?.toString()).toBe('abcd');
      });

      it('replaces an object put again under the same key', async () => {
        await store.put('replace/me.txt', 'first version');
        await store.put('replace/me.txt', 'second');
        expect((await store.get('replace/me.txt'))?.toString()).toBe('second');
        expect((await store.head('replace/me.txt'))?.size).toBe(6);
      });

      it('stores an empty object', async () => {
        await store.put('empty/one', '');
        expect((await store.get('empty/one'))?.length).toBe(0);
        expect((await store.head('empty/one'))?.size).toBe(0);
      });

      it('streams an object back', async () => {
        await store.put('stream/back.txt', 'x'.repeat(100_000));
        const stream = await store.getStream('stream/back.txt');
        expect(stream).toBeInstanceOf(Readable);
        expect((await readAll(stream!)).toString()).toBe('x'.repeat(100_000));
      });

      it('streams a byte range back: from start up to, not including, end', async () => {
        const body = Array.from({ length: 50_000 }, (_, i) => String.fromCharCode(97 + (i % 26))).join('');
        await store.put('stream/range.txt', body);
        const part = async (start: number, end: number) => (await readAll((await store.getStream('stream/range.txt', { start, end }))!)).toString();
        expect(await part(0, 5)).toBe('abcde');
        expect(await part(26_001, 40_000)).toBe(body.slice(26_001, 40_000));
        expect(await part(49_990, 50_000)).toBe(body.slice(49_990));
        expect(await part(10, 10)).toBe('');
        expect(await store.getStream('missing/key', { start: 0, end: 1 })).toBeNull();
      });

      it('describes an object with its size and time of writing', async () => {
        const before = Date.now();
        await store.put('head/info.json', '{"a":1}');
        const info = await store.head('head/info.json');
        expect(info).toMatchObject({ key: 'head/info.json', size: 7 });
        // Some servers keep only whole seconds.
        expect(info!.updatedAt.getTime()).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
        expect(info!.updatedAt.getTime()).toBeLessThanOrEqual(Date.now() + 1000);
      });

      it('answers null for a key never written, whatever the read', async () => {
        expect(await store.get('missing/key')).toBeNull();
        expect(await store.getStream('missing/key')).toBeNull();
        expect(await store.head('missing/key')).toBeNull();
      });

      it('forgets a deleted object and accepts deleting one that is not there', async () => {
        await store.put('delete/me', 'bye');
        await store.delete('delete/me');
        expect(await store.get('delete/me')).toBeNull();
        expect(await store.head('delete/me')).toBeNull();
        await expect(store.delete('delete/never-there')).resolves.toBeUndefined();
      });
    });

    describe('listing', () => {
      beforeAll(openStore);

      it('lists exactly the objects under a prefix, in key order, with their sizes', async () => {
        await store.put('models/b/2/weights.bin', 'bb');
        await store.put('models/a/1/model.json', 'a');
        await store.put('models/a/10/model.json', 'aaa');
        await store.put('modelsx/other', 'o');
        await store.put('datasets/a.csv', 'x');

        const listed = await collect(store.list('models/'));
        expect(listed.map(({ key, size }) => ({ key, size }))).toEqual([
          { key: 'models/a/1/model.json', size: 1 },
          { key: 'models/a/10/model.json', size: 3 },
          { key: 'models/b/2/weights.bin', size: 2 },
        ]);
        expect(listed.every((info) => info.updatedAt instanceof Date)).toBe(true);
        expect((await collect(store.list('models/a/1/'))).map((info) => info.key)).toEqual(['models/a/1/model.json']);
        expect((await collect(store.list(''))).map((info) => info.key)).toEqual([
          'datasets/a.csv',
          'models/a/1/model.json',
          'models/a/10/model.json',
          'models/b/2/weights.bin',
          'modelsx/other',
        ]);
        expect(await collect(store.list('nothing/here/'))).toEqual([]);
      });

      it('lists every object when there are more than one page (1000 keys) of them', async () => {
        const keys = Array.from({ length: 1005 }, (_, i) => `many/${String(i).padStart(4, '0')}`);
        await inBatches(keys, 25, (key) => store.put(key, key));

        const listed = await collect(store.list('many/'));
        expect(listed.map((info) => info.key)).toEqual(keys);
      });

      it('refuses a prefix that could escape the store', async () => {
        for (const prefix of ['../', '/', 'a/../../', 'A/']) {
          await expect(collect(store.list(prefix)), prefix).rejects.toThrow(/unsafe storage key/);
        }
      });
    });

    describe('writing only when absent', () => {
      beforeAll(openStore);

      it('writes the first time and leaves the object alone afterwards', async () => {
        expect(await store.putIfAbsent('once/lock', 'first')).toBe(true);
        expect(await store.putIfAbsent('once/lock', 'second')).toBe(false);
        expect((await store.get('once/lock'))?.toString()).toBe('first');
      });

      it('lets exactly one of several concurrent writers win, and keeps the winner’s bytes', async () => {
        for (const key of ['race/a', 'race/b', 'race/c']) {
          const bodies = Array.from({ length: 6 }, (_, i) => `writer-${i}`);
          const outcomes = await Promise.all(bodies.map((body) => store.putIfAbsent(key, body)));

          expect(outcomes.filter(Boolean)).toHaveLength(1);
          expect((await store.get(key))?.toString()).toBe(bodies[outcomes.indexOf(true)]);
        }
      });
    });

    describe('streamed writes', () => {
      beforeAll(openStore);

      it('stores a stream of several MB byte for byte', async () => {
        const { stream, digest } = generatedStream(12 * mb + 12_345);
        await store.put('big/weights.bin', stream);

        expect((await store.head('big/weights.bin'))?.size).toBe(12 * mb + 12_345);
        const read = await store.getStream('big/weights.bin');
        expect(await sha256(read!)).toBe(digest());
      });

      it('stores nothing when the stream fails part way', async () => {
        const { stream } = generatedStream(12 * mb, new Error('source went away'), 7 * mb);
        await expect(store.put('big/broken.bin', stream)).rejects.toThrow('source went away');

        expect(await store.head('big/broken.bin')).toBeNull();
        expect(await collect(store.list('big/broken'))).toEqual([]);
      });
    });

    describe('health', () => {
      it('answers a ping while the backend is there and fails it once the backend is gone', async () => {
        const { store: fragile, takeDown } = await harness.openFragile();
        await expect(fragile.ping()).resolves.toBeUndefined();

        await takeDown();
        await expect(fragile.ping()).rejects.toThrow();
      });
    });

    describe('key safety', () => {
      beforeAll(openStore);

      it('refuses every unsafe key for every operation', async () => {
        const operations: Array<[string, string, () => Promise<unknown>]> = [
          ...unsafeKeys.flatMap((key): Array<[string, string, () => Promise<unknown>]> => [
            ['get', key, () => store.get(key)],
            ['getStream', key, () => store.getStream(key)],
            ['head', key, () => store.head(key)],
          ]),
          ...unsafeWriteKeys.flatMap((key): Array<[string, string, () => Promise<unknown>]> => [
            ['put', key, () => store.put(key, 'escaped')],
            ['put stream', key, () => store.put(key, Readable.from(['escaped']))],
            ['putIfAbsent', key, () => store.putIfAbsent(key, 'escaped')],
            ['delete', key, () => store.delete(key)],
          ]),
        ];
        // Every operation is tried even after one slips through, so the next test sees what it wrote.
        const slipped: string[] = [];
        for (const [operation, key, run] of operations) {
          const error = await run().then(() => null, (reason: Error) => reason);
          if (!/unsafe storage key/.test(error?.message ?? '')) slipped.push(`${operation} ${JSON.stringify(key)}`);
        }
        expect(slipped).toEqual([]);
      });

      it('wrote nothing anywhere while refusing them', async () => {
        expect(await collect(store.list(''))).toEqual([]);
        expect(await harness.strayObjects()).toEqual([]);
        expect(existsSync(escapeProbe)).toBe(false);
      });
    });
  });
}

async function collect(items: AsyncIterable<ObjectInfo>): Promise<ObjectInfo[]> {
  const all: ObjectInfo[] = [];
  for await (const item of items) all.push(item);
  return all;
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function sha256(stream: Readable): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function inBatches<T>(items: T[], size: number, work: (item: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(work));
}

/**
 * A stream of pseudo-random bytes made on demand (never held whole), with the digest of what it sent;
 * given a failure, it errors once failAt bytes have gone out.
 */
function generatedStream(size: number, failure?: Error, failAt = size) {
  const hash = createHash('sha256');
  let sent = 0;
  const stream = new Readable({
    read() {
      if (failure && sent >= failAt) return this.destroy(failure);
      if (sent >= size) return void this.push(null);
      const chunk = randomBytes(Math.min(256 * 1024, size - sent));
      sent += chunk.length;
      hash.update(chunk);
      this.push(chunk);
    },
  });
  return { stream, digest: () => hash.digest('hex') };
}
