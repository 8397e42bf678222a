import { fileURLToPath } from 'node:url';
import { FsObjectStore } from './fs-store.js';
import type { ObjectStore } from './object-store.js';

/** Chooses the driver from STORAGE_URL. */
export function createObjectStore(url: string): ObjectStore {
  if (url.startsWith('file://')) {
    // file://./x is relative to the working directory; file:///x is absolute.
    const path = url.startsWith('file:///') ? fileURLToPath(url) : url.slice('file://'.length);
    return new FsObjectStore(path);
  }
  throw new Error(`unsupported STORAGE_URL: ${url} (supported: file://)`);
}

export type { ObjectStore, ObjectInfo } from './object-store.js';
