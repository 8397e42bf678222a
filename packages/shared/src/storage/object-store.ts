import type { Readable } from 'node:stream';

/** Bytes [start, end) of an object. */
export interface ByteRange {
  start: number;
  end: number;
}

export interface ObjectInfo {
  key: string;
  size: number;
  updatedAt: Date;
}

/**
 * The only thing workers and API replicas share besides Redis. Keys are '/'-separated and built by
 * keys.ts from validated names; drivers still refuse any key that could escape their root.
 */
export interface ObjectStore {
  put(key: string, body: Uint8Array | string | Readable): Promise<void>;
  /** Writes only when nothing is stored under the key; false when something already was. */
  putIfAbsent(key: string, body: Uint8Array | string): Promise<boolean>;
  get(key: string): Promise<Buffer | null>;
  /** The object, or only the given bytes of it; null when nothing is stored under the key. */
  getStream(key: string, range?: ByteRange): Promise<Readable | null>;
  head(key: string): Promise<ObjectInfo | null>;
  /** Every object whose key starts with prefix, in key order. */
  list(prefix: string): AsyncIterable<ObjectInfo>;
  delete(key: string): Promise<void>;
  /** Proves the store answers; throws otherwise. */
  ping(): Promise<void>;
}

const safeKey = /^(?:[a-z0-9][a-z0-9_.-]*\/)*[a-z0-9][a-z0-9_.-]*$/;

/** Defence in depth below keys.ts: a key is lower-case segments with no empty, dot-only or absolute part. */
export function assertSafeKey(key: string): string {
  if (!safeKey.test(key) || key.split('/').some((segment) => /^\.+$/.test(segment) || segment.includes('..'))) {
    throw new Error(`unsafe storage key: ${JSON.stringify(key)}`);
  }
  return key;
}

/** Prefixes may end with '/' or be empty (everything). */
export function assertSafePrefix(prefix: string): string {
  if (prefix !== '') assertSafeKey(prefix.endsWith('/') ? prefix.slice(0, -1) : prefix);
  return prefix;
}
