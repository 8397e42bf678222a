import { Writable, type Readable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import { ConflictError } from '../platform/errors.js';
import { defaultTenant } from '../platform/tenants.js';
import type { ObjectStore } from '../storage/index.js';
import { storageKeys } from '../storage/keys.js';
import { ByteLimit, chain, CsvCheck, datasetColumn } from './check.js';
import { JsonRowsToCsv } from './json-rows.js';
import { builtInDatasets, datasetKeys, isBuiltInDataset } from './samples.js';

/** What storage keeps beside each dataset's CSV (datasets/{name}.json), so every replica answers alike. */
export const datasetMeta = z.object({
  name: z.string(),
  rows: z.int(),
  columns: z.array(datasetColumn),
  /** Size of the stored CSV. */
  bytes: z.int(),
  created_at: z.iso.datetime(),
});
export type DatasetMeta = z.output<typeof datasetMeta>;

/** The dataset resource: stored metadata, plus what the built-in samples say about themselves. */
export const datasetInfo = datasetMeta.extend({ builtin: z.boolean(), target: z.string().optional(), description: z.string().optional() });
export type DatasetInfo = z.output<typeof datasetInfo>;

export type UploadFormat = 'csv' | 'json';

/** A CSV's key below its tenant's datasets root. */
const csvKey = /^([^/]+)\.csv$/;

/**
 * One tenant's uploaded datasets and the built-in samples every tenant reads, in object storage: a
 * CSV each, with its metadata beside it.
 */
export class DatasetCatalog {
  constructor(
    private readonly store: ObjectStore,
    readonly tenant = defaultTenant,
  ) {}

  /** The same store, seen as another tenant's catalog. */
  forTenant(tenant: string): DatasetCatalog {
    return tenant === this.tenant ? this : new DatasetCatalog(this.store, tenant);
  }

  /**
   * Streams an upload into storage through the checks, replacing any dataset of that name. Every
   * driver's put is all-or-nothing (a temp file renamed, an S3 upload completed only at the end),
   * so a failed check or an interrupted upload leaves what was stored before untouched. `decode`
   * (a decompressor, for a Content-Encoding) goes first: the limit counts what it puts out.
   */
  async upload(name: string, body: Readable, format: UploadFormat, maxBytes: number, decode?: Transform): Promise<DatasetInfo> {
    if (isBuiltInDataset(name)) throw new ConflictError('conflict', `"${name}" is a built-in dataset; choose another name`);
    const keys = storageKeys(this.tenant);
    const check = format === 'json' ? new CsvCheck((_line, row) => `row ${row}`) : new CsvCheck();
    const steps: Transform[] = [...(decode ? [decode] : []), new ByteLimit(maxBytes), ...(format === 'json' ? [new JsonRowsToCsv()] : []), check];
    const checked = chain(body, ...steps);
    // Small uploads can fail before the store starts reading: keep the first error for the answer.
    let failure: unknown;
    checked.on('error', (error) => (failure ??= error));
    try {
      await this.store.put(keys.dataset(name), checked);
    } catch (error) {
      throw failure ?? error;
    }
    const meta: DatasetMeta = { name, ...check.shape(), created_at: new Date().toISOString() };
    try {
      await this.store.put(keys.datasetMeta(name), JSON.stringify(meta, null, 2));
    } catch (error) {
      // A CSV without its metadata would be described again from itself later; without the upload's
      // success it must not stay at all.
      await this.store.delete(keys.dataset(name)).catch(() => {});
      throw error;
    }
    return withBuiltInFacts(meta);
  }

  /** null when no CSV of that name is stored. */
  async get(name: string): Promise<DatasetInfo | null> {
    const keys = datasetKeys(this.tenant, name);
    const csv = await this.store.head(keys.csv);
    if (!csv) return null;
    const stored = await this.store.get(keys.meta);
    if (stored) return withBuiltInFacts(JSON.parse(stored.toString('utf8')) as DatasetMeta);
    return withBuiltInFacts(await this.describe(name, csv.updatedAt));
  }

  /** The tenant's datasets and the built-in samples, by name. */
  async list(): Promise<DatasetInfo[]> {
    const names = new Set(Object.keys(builtInDatasets));
    for await (const { name } of this.ownCsvs()) names.add(name);
    const found = await Promise.all([...names].sort().map((name) => this.get(name)));
    return found.filter((dataset) => dataset !== null);
  }

  /** Bytes the tenant's own datasets take in storage, leaving out `except` (a dataset about to be replaced). */
  async storedBytes(except?: string): Promise<number> {
    let bytes = 0;
    for await (const { name, size } of this.ownCsvs()) if (name !== except && !isBuiltInDataset(name)) bytes += size;
    return bytes;
  }

  /** The CSVs stored in the tenant's own space (for `default`, the built-in samples' too). */
  private async *ownCsvs(): AsyncIterable<{ name: string; size: number }> {
    const root = storageKeys(this.tenant).datasetsRoot;
    for await (const object of this.store.list(root)) {
      const match = csvKey.exec(object.key.slice(root.length));
      if (match) yield { name: match[1]!, size: object.size };
    }
  }

  /** false when there was nothing to delete. The CSV goes first: metadata without a CSV is never listed. */
  async delete(name: string): Promise<boolean> {
    if (isBuiltInDataset(name)) throw new ConflictError('conflict', `"${name}" is a built-in dataset and cannot be deleted`);
    const keys = storageKeys(this.tenant);
    if (!(await this.store.head(keys.dataset(name)))) return false;
    await this.store.delete(keys.dataset(name));
    await this.store.delete(keys.datasetMeta(name));
    return true;
  }

  /** Metadata for a CSV stored without it (the built-in samples), read from the CSV once and then kept. */
  private async describe(name: string, storedAt: Date): Promise<DatasetMeta> {
    const keys = datasetKeys(this.tenant, name);
    const csv = await this.store.getStream(keys.csv);
    if (!csv) throw new Error(`dataset ${name} vanished while being described`);
    const check = new CsvCheck();
    await pipeline(csv, check, new Writable({ write: (_chunk, _encoding, done) => done() }));
    const meta: DatasetMeta = { name, ...check.shape(), created_at: storedAt.toISOString() };
    await this.store.putIfAbsent(keys.meta, JSON.stringify(meta, null, 2));
    return meta;
  }
}

function withBuiltInFacts(meta: DatasetMeta): DatasetInfo {
  const builtIn = isBuiltInDataset(meta.name) ? builtInDatasets[meta.name] : undefined;
  return builtIn ? { ...meta, builtin: true, target: builtIn.target, description: builtIn.description } : { ...meta, builtin: false };
}
