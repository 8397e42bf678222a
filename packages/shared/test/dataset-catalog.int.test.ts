import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestBucket, useTestS3 } from '@trainyard/test-support/s3-target';
import { DatasetCatalog } from '../src/datasets/catalog.js';
import { seedBuiltInDatasets } from '../src/datasets/samples.js';
import { createObjectStore, type ObjectStore } from '../src/storage/index.js';

interface Harness {
  store: ObjectStore;
  close(): Promise<void>;
}

/** Rows of "i,2i" in 64 KiB chunks as an HTTP upload brings them, generated as they are read; `bad` puts a word in the last row. */
function csvRows(rows: number, bad = false): Readable {
  return Readable.from(
    (function* () {
      let chunk = 'n,double\n';
      for (let i = 1; i <= rows; i++) {
        chunk += i === rows && bad ? `${i},oops\n` : `${i},${i * 2}\n`;
        if (chunk.length >= 65_536) {
          yield Buffer.from(chunk);
          chunk = '';
        }
      }
      yield Buffer.from(chunk);
    })(),
  );
}

const keysIn = async (store: ObjectStore) => {
  const keys: string[] = [];
  for await (const { key } of store.list('datasets/')) keys.push(key);
  return keys;
};

/** Enough rows for several 5 MB parts, so S3 receives a multipart upload before the last row is read. */
const manyRows = 600_000;

function describeCatalog(driver: string, open: () => Promise<Harness>) {
  describe(`DatasetCatalog on ${driver}`, () => {
    let harness: Harness;
    let catalog: DatasetCatalog;

    beforeAll(async () => {
      harness = await open();
      catalog = new DatasetCatalog(harness.store);
    });
    afterAll(() => harness?.close());

    it('stores a large upload as it streams, with its shape and size', async () => {
      const info = await catalog.upload('counts', csvRows(manyRows), 'csv', 50 * 1024 * 1024);

      const stored = await harness.store.head('datasets/counts.csv');
      expect(info).toMatchObject({ name: 'counts', rows: manyRows, columns: [{ name: 'n', type: 'number' }, { name: 'double', type: 'number' }] });
      expect(stored!.size).toBe(info.bytes);
      expect(info.bytes).toBeGreaterThan(5 * 1024 * 1024); // more than one S3 part
      expect(await catalog.get('counts')).toEqual(info);
    });

    it('when the last row of a large upload is bad, then the error names its line and the stored dataset stays', async () => {
      const before = await harness.store.head('datasets/counts.csv');

      await expect(catalog.upload('counts', csvRows(manyRows, true), 'csv', 50 * 1024 * 1024)).rejects.toThrow(
        `line ${manyRows + 1}, column "double": "oops" is not a number`,
      );
      expect(await harness.store.head('datasets/counts.csv')).toEqual(before);
      expect(await keysIn(harness.store)).toEqual(['datasets/counts.csv', 'datasets/counts.json']);
    });

    it('when an upload passes the size limit, then nothing of it is stored', async () => {
      await expect(catalog.upload('too-big', csvRows(200_000), 'csv', 1024 * 1024)).rejects.toMatchObject({ code: 'payload_too_large' });
      expect((await keysIn(harness.store)).filter((key) => key.includes('too-big'))).toEqual([]);
    });

    it('describes a built-in sample from its CSV once and lists it beside uploads', async () => {
      await seedBuiltInDatasets(harness.store);

      const datasets = await catalog.list();
      expect(datasets.find((d) => d.name === 'iris')).toMatchObject({ rows: 150, builtin: true, target: 'species' });
      expect(datasets.find((d) => d.name === 'counts')).toMatchObject({ rows: manyRows, builtin: false });
      expect(await harness.store.head('datasets/iris.json')).not.toBeNull();
    });

    it('deletes a dataset and its metadata', async () => {
      expect(await catalog.delete('counts')).toBe(true);
      expect(await catalog.delete('counts')).toBe(false);
      expect(await catalog.get('counts')).toBeNull();
      expect((await keysIn(harness.store)).filter((key) => key.startsWith('datasets/counts'))).toEqual([]);
    });
  });
}

describeCatalog('the filesystem', async () => {
  const root = await mkdtemp(join(tmpdir(), 'ty-catalog-'));
  return { store: createObjectStore(`file://${root}`), close: () => rm(root, { recursive: true, force: true }) };
});

describeCatalog('S3', async () => {
  const s3 = await useTestS3();
  const bucket = await createTestBucket(s3.options, 'catalog');
  return { store: createObjectStore(`s3://${bucket.bucket}`, s3.options), close: () => bucket.remove().finally(s3.stop) };
});
