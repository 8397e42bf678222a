import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startS3Server, type TestS3Server } from '@trainyard/test-support/s3-server';
import { createTestBucket, useTestS3, type TestBucket } from '@trainyard/test-support/s3-target';
import { ConfigError, parseEnv, storageEnv } from '../src/platform/env.js';
import { FsObjectStore } from '../src/storage/fs-store.js';
import { createObjectStore, s3OptionsFromEnv, type S3StoreOptions } from '../src/storage/index.js';
import { S3ObjectStore, parseS3Url } from '../src/storage/s3-store.js';
import { describeObjectStoreContract, type ObjectStoreHarness } from './object-store.contract.js';

describeObjectStoreContract('filesystem', async (): Promise<ObjectStoreHarness> => {
  // Stores live in store-N folders of one scratch folder, so a file anywhere else in it escaped a store.
  const scratch = await mkdtemp(join(tmpdir(), 'ty-fs-store-'));
  const roots: string[] = [];
  const newRoot = () => {
    const root = join(scratch, `store-${roots.length + 1}`);
    roots.push(root);
    return root;
  };
  return {
    open: async () => createObjectStore(pathToFileURL(newRoot()).href),
    async openFragile() {
      const root = newRoot();
      return {
        store: createObjectStore(pathToFileURL(root).href),
        // A file where the folder was: the disk is there, the store is not.
        takeDown: async () => {
          await rm(root, { recursive: true });
          await writeFile(root, '');
        },
      };
    },
    async strayObjects() {
      const entries = await readdir(scratch, { recursive: true, withFileTypes: true });
      return entries
        .filter((entry) => entry.isFile())
        .map((entry) => join(entry.parentPath, entry.name))
        .filter((path) => !roots.some((root) => path === root || path.startsWith(root + sep)));
    },
    close: () => rm(scratch, { recursive: true, force: true }),
  };
});

describeObjectStoreContract('S3', async (): Promise<ObjectStoreHarness> => {
  // One bucket per run; stores are store-N prefixes in it, so a key anywhere else in it escaped a store.
  const s3 = await useTestS3();
  const { bucket, remove } = await createTestBucket(s3.options, 'storage');
  const prefixes: string[] = [];
  const fragileServers: Array<() => Promise<void>> = [];
  return {
    async open() {
      const prefix = `store-${prefixes.length + 1}/`;
      prefixes.push(prefix);
      return createObjectStore(`s3://${bucket}/${prefix}`, s3.options);
    },
    async openFragile() {
      // Always an in-process server: this test stops it.
      const server = await startS3Server();
      fragileServers.push(server.stop);
      const options = { endpoint: server.endpoint, credentials: server.credentials, forcePathStyle: true };
      const fragile = await createTestBucket(options, 'fragile');
      return { store: createObjectStore(`s3://${fragile.bucket}`, options), takeDown: server.stop };
    },
    async strayObjects() {
      const keys: string[] = [];
      for await (const { key } of new S3ObjectStore({ bucket, prefix: '' }, s3.options).list('')) keys.push(key);
      return keys.filter((key) => !prefixes.some((prefix) => key.startsWith(prefix)));
    },
    async close() {
      await Promise.allSettled(fragileServers.map((stop) => stop()));
      await remove().finally(s3.stop);
    },
  };
});

describe('createObjectStore', () => {
  it('keeps file:// URLs on the filesystem driver, relative or absolute', () => {
    const relative = createObjectStore('file://./.data/storage');
    const absolute = createObjectStore('file:///var/lib/trainyard');
    expect(relative).toBeInstanceOf(FsObjectStore);
    expect((relative as FsObjectStore).root).toBe(join(process.cwd(), '.data/storage'));
    expect((absolute as FsObjectStore).root).toBe('/var/lib/trainyard');
  });

  it('reads the bucket and key prefix from an s3:// URL', () => {
    const store = createObjectStore('s3://trainyard-artifacts/prod/eu/', { region: 'eu-west-1' });
    expect(store).toBeInstanceOf(S3ObjectStore);
    expect(store).toMatchObject({ bucket: 'trainyard-artifacts', prefix: 'prod/eu/' });
    expect(parseS3Url('s3://trainyard')).toEqual({ bucket: 'trainyard', prefix: '' });
  });

  it('refuses a malformed s3:// URL or a prefix that could climb out of itself', () => {
    const urls = ['s3://', 's3://ab', 's3://Upper-Case', 's3://bucket_name/x', 's3://b-1/../x', 's3://b-1/a//b', 's3://b-1/./a'];
    for (const url of urls) {
      expect(() => createObjectStore(url), url).toThrow();
    }
    expect(() => createObjectStore('gs://bucket')).toThrow(/unsupported STORAGE_URL/);
  });
});

describe('S3 driver against the test server', () => {
  let s3: TestS3Server;
  let options: S3StoreOptions;
  let bucket: TestBucket;

  beforeAll(async () => {
    s3 = await startS3Server();
    options = { endpoint: s3.endpoint, credentials: s3.credentials, forcePathStyle: true };
    bucket = await createTestBucket(options);
  });
  afterAll(async () => {
    await bucket?.remove().finally(s3.stop);
  });

  it('keeps every object under the URL’s key prefix', async () => {
    await createObjectStore(`s3://${bucket.bucket}/tenant-a`, options).put('models/m/1/model.json', '{}');

    const everything = new S3ObjectStore({ bucket: bucket.bucket, prefix: '' }, options);
    expect((await everything.head('tenant-a/models/m/1/model.json'))?.size).toBe(2);
    expect(await everything.head('models/m/1/model.json')).toBeNull();
  });

  it('fails, rather than reading nothing, when the secret is wrong', async () => {
    const wrongSecret = { ...options, credentials: { ...s3.credentials, secretAccessKey: 'wrong' } };
    const store = createObjectStore(`s3://${bucket.bucket}`, wrongSecret);
    await expect(store.ping()).rejects.toThrow();
    await expect(store.get('any/key')).rejects.toMatchObject({ name: 'SignatureDoesNotMatch' });
  });

  it('fails a ping when the bucket does not exist', async () => {
    await expect(createObjectStore('s3://no-such-bucket-here', options).ping()).rejects.toThrow();
  });
});

describe('storage settings', () => {
  it('defaults to AWS S3 in us-east-1 with virtual-host addressing', () => {
    const env = parseEnv(storageEnv, {});
    expect(env).toMatchObject({ S3_REGION: 'us-east-1', S3_FORCE_PATH_STYLE: false });
    expect(env.S3_ENDPOINT).toBeUndefined();
    expect(s3OptionsFromEnv(env)).toEqual({ endpoint: undefined, region: 'us-east-1', forcePathStyle: false });
  });

  it('takes a MinIO endpoint with path-style addressing', () => {
    const env = parseEnv(storageEnv, {
      STORAGE_URL: 's3://trainyard/artifacts',
      S3_ENDPOINT: 'http://minio:9000',
      S3_REGION: 'eu-central-1',
      S3_FORCE_PATH_STYLE: 'true',
    });
    expect(s3OptionsFromEnv(env)).toEqual({
      endpoint: 'http://minio:9000',
      region: 'eu-central-1',
      forcePathStyle: true,
    });
  });

  it('names every bad S3 setting', () => {
    expect(() => parseEnv(storageEnv, { S3_ENDPOINT: 'minio:9000', S3_FORCE_PATH_STYLE: 'yes' })).toThrow(ConfigError);
    expect(() => parseEnv(storageEnv, { S3_ENDPOINT: 'ftp://minio', S3_FORCE_PATH_STYLE: 'yes' })).toThrow(
      /S3_ENDPOINT[\s\S]*S3_FORCE_PATH_STYLE/,
    );
  });
});
