import { Writable, type Readable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ConflictError } from '../platform/errors.js';
import type { ObjectStore } from '../storage/index.js';
import { storageKeys } from '../storage/keys.js';
import { ByteLimit, chain, CsvCheck, type DatasetColumn } from './check.js';
import { JsonRowsToCsv } from './json-rows.js';
import { builtInDatasets } from './samples.js';

/** What storage keeps beside each dataset's CSV (datasets/{name}.json), so every replica answers alike. */
export interface DatasetMeta {
  name: string;
  rows: number;
  columns: DatasetColumn[];
  /** Size of the stored CSV. */
  bytes: number;
  created_at: string;
}

/** The dataset resource: stored metadata, plus what the built-in samples say about themselves. */
export interface DatasetInfo extends DatasetMeta {
  builtin: boolean;
  target?: string;
  description?: string;
}

export type UploadFormat = 'csv' | 'json';

const csvKey = /^datasets\/([^/]+)\.csv$/;

/** Uploaded and built-in datasets in object storage: a CSV each, with its metadata beside it. */
export class DatasetCatalog {
  constructor(private readonly store: ObjectStore) {}

  /**
   * Streams an upload into storage through the checks, replacing any dataset of that name. Every
   * driver's put is all-or-nothing (a temp file renamed, an S3 upload completed only at the end),
   * so a failed check or an interrupted upload leaves what was stored before untouched.
   */
  async upload(name: string, body: Readable, format: UploadFormat, maxBytes: number): Promise<DatasetInfo> {
    if (name in builtInDatasets) throw new ConflictError('conflict', `"${name}" is a built-in dataset; choose another name`);
    const check = format === 'json' ? new CsvCheck((_line, row) => `row ${row}`) : new CsvCheck();
    const steps: Transform[] = [new ByteLimit(maxBytes), ...(format === 'json' ? [new JsonRowsToCsv()] : []), check];
    const checked = chain(body, ...steps);
    // Small uploads can fail before the store starts reading: keep the first error for the answer.
    let failure: unknown;
    checked.on('error', (error) => (failure ??= error));
    try {
      await this.store.put(storageKeys.dataset(name), checked);
    } catch (error) {
      throw failure ?? error;
    }
    const meta: DatasetMeta = { name, ...check.shape(), created_at: new Date().toISOString() };
    try {
      await this.store.put(storageKeys.datasetMeta(name), JSON.stringify(meta, null, 2));
    } catch (error) {
      // A CSV without its metadata would be described again from itself later; without the upload's
      // success it must not stay at all.
      await this.store.delete(storageKeys.dataset(name)).catch(() => {});
      throw error;
    }
    return withBuiltInFacts(meta);
  }

  /** null when no CSV of that name is stored. */
  async get(name: string): Promise<DatasetInfo | null> {
    const csv = await this.store.head(storageKeys.dataset(name));
    if (!csv) return null;
    const stored = await this.store.get(storageKeys.datasetMeta(name));
    if (stored) return withBuiltInFacts(JSON.parse(stored.toString('utf8')) as DatasetMeta);
    return withBuiltInFacts(await this.describe(name, csv.updatedAt));
  }

  /** Every stored dataset, built-in samples included, by name. */
  async list(): Promise<DatasetInfo[]> {
    const names: string[] = [];
    for await (const object of this.store.list(storageKeys.datasetsRoot)) {
      const match = csvKey.exec(object.key);
      if (match) names.push(match[1]!);
    }
    const found = await Promise.all(names.map((name) => this.get(name)));
    return found.filter((dataset) => dataset !== null);
  }

  /** false when there was nothing to delete. The CSV goes first: metadata without a CSV is never listed. */
  async delete(name: string): Promise<boolean> {
    if (name in builtInDatasets) throw new ConflictError('conflict', `"${name}" is a built-in dataset and cannot be deleted`);
    if (!(await this.store.head(storageKeys.dataset(name)))) return false;
    await this.store.delete(storageKeys.dataset(name));
    await this.store.delete(storageKeys.datasetMeta(name));
    return true;
  }

  /** Metadata for a CSV stored without it (the built-in samples), read from the CSV once and then kept. */
  private async describe(name: string, storedAt: Date): Promise<DatasetMeta> {
    const csv = await this.store.getStream(storageKeys.dataset(name));
    if (!csv) throw new Error(`dataset ${name} vanished while being described`);
    const check = new CsvCheck();
    await pipeline(csv, check, new Writable({ write: (_chunk, _encoding, done) => done() }));
    const meta: DatasetMeta = { name, ...check.shape(), created_at: storedAt.toISOString() };
    await this.store.putIfAbsent(storageKeys.datasetMeta(name), JSON.stringify(meta, null, 2));
    return meta;
  }
}

function withBuiltInFacts(meta: DatasetMeta): DatasetInfo {
  const builtIn = builtInDatasets[meta.name];
  return builtIn ? { ...meta, builtin: true, target: builtIn.target, description: builtIn.description } : { ...meta, builtin: false };
}
