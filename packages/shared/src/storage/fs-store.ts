import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { assertSafeKey, assertSafePrefix, type ByteRange, type ObjectInfo, type ObjectStore } from './object-store.js';

/** Object storage on a local folder: one file per key, written atomically through a temp file. */
export class FsObjectStore implements ObjectStore {
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  private path(key: string): string {
    const path = resolve(this.root, assertSafeKey(key));
    if (!path.startsWith(this.root + sep)) throw new Error(`storage key escapes the store: ${key}`);
    return path;
  }

  async put(key: string, body: Uint8Array | string | Readable): Promise<void> {
    const path = this.path(key);
    await mkdir(dirname(path), { recursive: true });
    const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      if (body instanceof Readable) {
        const file = await open(temp, 'w');
        await pipeline(body, file.createWriteStream());
      } else {
        await writeFile(temp, body);
      }
      await rename(temp, path);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }

  async putIfAbsent(key: string, body: Uint8Array | string): Promise<boolean> {
    const path = this.path(key);
    await mkdir(dirname(path), { recursive: true });
    try {
      await writeFile(path, body, { flag: 'wx' });
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    }
  }

  async get(key: string): Promise<Buffer | null> {
    return readFile(this.path(key)).catch(ifMissing(null));
  }

  async getStream(key: string, range?: ByteRange): Promise<Readable | null> {
    const path = this.path(key);
    const info = await stat(path).catch(ifMissing(null));
    if (!info?.isFile()) return null;
    if (!range) return createReadStream(path);
    // createReadStream's end is inclusive, and an empty range would read to the end.
    return range.end > range.start ? createReadStream(path, { start: range.start, end: range.end - 1 }) : Readable.from([]);
  }

  async head(key: string): Promise<ObjectInfo | null> {
    const info = await stat(this.path(key)).catch(ifMissing(null));
    return info?.isFile() ? { key, size: info.size, updatedAt: info.mtime } : null;
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    assertSafePrefix(prefix);
    const entries = await readdir(this.root, { recursive: true, withFileTypes: true }).catch(ifMissing([]));
    const keys = entries
      .filter((entry) => entry.isFile() && !entry.name.endsWith('.tmp'))
      .map((entry) => relative(this.root, join(entry.parentPath, entry.name)).split(sep).join('/'))
      .filter((key) => key.startsWith(prefix))
      .sort();
    for (const key of keys) {
      const info = await this.head(key);
      if (info) yield info;
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.path(key), { force: true });
  }

  async ping(): Promise<void> {
    await mkdir(this.root, { recursive: true });
    await stat(this.root);
  }
}

function ifMissing<T>(fallback: T) {
  return (error: NodeJS.ErrnoException): T => {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return fallback;
    throw error;
  };
}
