import { fileURLToPath } from 'node:url';
import type { z } from 'zod';
import type { storageEnv } from '../platform/env.js';
import { FsObjectStore } from './fs-store.js';
import type { ObjectStore } from './object-store.js';
import { S3ObjectStore, parseS3Url, type S3StoreOptions } from './s3-store.js';

/** Chooses the driver from STORAGE_URL; s3 settings apply to s3:// URLs only. */
export function createObjectStore(url: string, s3: S3StoreOptions = {}): ObjectStore {
  if (url.startsWith('file://')) {
    // file://./x is relative to the working directory; file:///x is absolute.
    const path = url.startsWith('file:///') ? fileURLToPath(url) : url.slice('file://'.length);
    return new FsObjectStore(path);
  }
  if (url.startsWith('s3://')) return new S3ObjectStore(parseS3Url(url), s3);
  throw new Error(`unsupported STORAGE_URL: ${url} (supported: file://, s3://)`);
}

type S3Env = Pick<z.output<typeof storageEnv>, 'S3_ENDPOINT' | 'S3_REGION' | 'S3_FORCE_PATH_STYLE'>;

/** The S3 settings of a parsed storageEnv, as createObjectStore takes them. */
export function s3OptionsFromEnv(env: S3Env): S3StoreOptions {
  return { endpoint: env.S3_ENDPOINT, region: env.S3_REGION, forcePathStyle: env.S3_FORCE_PATH_STYLE };
}

export type { ByteRange, ObjectStore, ObjectInfo } from './object-store.js';
export type { S3StoreOptions } from './s3-store.js';
export { storageKeys, type ModelFile, type StorageKeys } from './keys.js';
export { FsObjectStore } from './fs-store.js';
