import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { S3Client } from '@aws-sdk/client-s3';
import { assertSafeKey, assertSafePrefix, type ByteRange, type ObjectInfo, type ObjectStore } from './object-store.js';

export interface S3StoreOptions {
  /** An S3-compatible server such as MinIO; unset means AWS S3. */
  endpoint?: string | undefined;
  region?: string;
  /** http://host/bucket/key instead of http://bucket.host/key; MinIO needs it. */
  forcePathStyle?: boolean;
  /** Unset means the SDK's default chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, profile, instance role). */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

export interface S3Location {
  bucket: string;
  /** '' or a safe key prefix ending in '/'; every stored key starts with it. */
  prefix: string;
}

const s3Url = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/;

/** s3://bucket[/prefix]: the prefix follows the key rules, so it cannot climb out of itself either. */
export function parseS3Url(url: string): S3Location {
  const match = s3Url.exec(url);
  if (!match?.[1]) throw new Error(`invalid S3 storage URL (expected s3://bucket[/prefix]): ${url}`);
  const prefix = (match[2] ?? '').replace(/\/+$/, '');
  return { bucket: match[1], prefix: prefix && `${assertSafeKey(prefix)}/` };
}

/** S3 answers 409 while another conditional write to the key is in flight, and asks callers to retry. */
const conflictAttempts = 6;

type Sdk = typeof import('@aws-sdk/client-s3');

/** Object storage in an S3 bucket (AWS S3, MinIO or any S3-compatible server), under an optional key prefix. */
export class S3ObjectStore implements ObjectStore {
  readonly bucket: string;
  readonly prefix: string;
  private connected: Promise<{ sdk: Sdk; client: S3Client }> | undefined;

  constructor(
    location: S3Location,
    private readonly options: S3StoreOptions = {},
  ) {
    this.bucket = location.bucket;
    this.prefix = location.prefix;
  }

  /** The SDK is loaded on first use: a process that never touches S3 does not hold it (about 23 MB). */
  private connect(): Promise<{ sdk: Sdk; client: S3Client }> {
    this.connected ??= import('@aws-sdk/client-s3').then((sdk) => ({
      sdk,
      // The SDK's default request checksums (CRC32) stay on: S3 and MinIO verify them.
      client: new sdk.S3Client({
        endpoint: this.options.endpoint,
        region: this.options.region ?? 'us-east-1',
        forcePathStyle: this.options.forcePathStyle ?? false,
        credentials: this.options.credentials,
      }),
    }));
    return this.connected;
  }

  /** The bucket prefix goes on only after the key passed the safety check. */
  private objectKey(key: string): string {
    return this.prefix + assertSafeKey(key);
  }

  async put(key: string, body: Uint8Array | string | Readable): Promise<void> {
    const target = { Bucket: this.bucket, Key: this.objectKey(key) };
    const { sdk, client } = await this.connect();
    if (body instanceof Readable) {
      // Upload sends a stream as 5 MB parts (a few in flight), so a large artifact is never held whole.
      const { Upload } = await import('@aws-sdk/lib-storage');
      await new Upload({ client, params: { ...target, Body: body } }).done();
    } else {
      await client.send(new sdk.PutObjectCommand({ ...target, Body: body, ContentLength: byteLength(body) }));
    }
  }

  async putIfAbsent(key: string, body: Uint8Array | string): Promise<boolean> {
    const Key = this.objectKey(key);
    const params = { Bucket: this.bucket, Key, Body: body, ContentLength: byteLength(body), IfNoneMatch: '*' };
    const { sdk, client } = await this.connect();
    for (let attempt = 1; ; attempt++) {
      try {
        await client.send(new sdk.PutObjectCommand(params));
        return true;
      } catch (error) {
        if (hasStatus(sdk, error, 412)) return false;
        if (!hasStatus(sdk, error, 409) || attempt === conflictAttempts) throw error;
        await sleep(25 * 2 ** attempt * (0.5 + Math.random()));
      }
    }
  }

  async get(key: string): Promise<Buffer | null> {
    const body = await this.getStream(key);
    if (!body) return null;
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  async getStream(key: string, range?: ByteRange): Promise<Readable | null> {
    const { sdk, client } = await this.connect();
    // S3 has no empty range: ask for the object's first byte (so a missing key still reads null) and drop it.
    const empty = range !== undefined && range.end <= range.start;
    const Range = range && (empty ? 'bytes=0-0' : `bytes=${range.start}-${range.end - 1}`);
    try {
      const { Body } = await client.send(new sdk.GetObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key), ...(Range ? { Range } : {}) }));
      // On Node the SDK's body is the HTTP response stream.
      if (!(Body instanceof Readable)) throw new Error(`S3 returned no readable body for ${key}`);
      if (!empty) return Body;
      Body.destroy();
      return Readable.from([]);
    } catch (error) {
      if (error instanceof sdk.NoSuchKey) return null;
      throw error;
    }
  }

  async head(key: string): Promise<ObjectInfo | null> {
    const { sdk, client } = await this.connect();
    try {
      const object = await client.send(new sdk.HeadObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
      return { key, size: object.ContentLength ?? 0, updatedAt: object.LastModified ?? new Date(0) };
    } catch (error) {
      // A HEAD answer has no body, so "no such key" is only its status.
      if (hasStatus(sdk, error, 404)) return null;
      throw error;
    }
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    // Pages of up to 1000 keys, each asked for with the previous page's continuation token.
    const Prefix = this.prefix + assertSafePrefix(prefix);
    const { sdk, client } = await this.connect();
    const pages = sdk.paginateListObjectsV2({ client }, { Bucket: this.bucket, Prefix });
    for await (const page of pages) {
      for (const object of page.Contents ?? []) {
        if (object.Key === undefined) continue;
        yield {
          key: object.Key.slice(this.prefix.length),
          size: object.Size ?? 0,
          updatedAt: object.LastModified ?? new Date(0),
        };
      }
    }
  }

  async delete(key: string): Promise<void> {
    const { sdk, client } = await this.connect();
    await client.send(new sdk.DeleteObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
  }

  async ping(): Promise<void> {
    const { sdk, client } = await this.connect();
    await client.send(new sdk.HeadBucketCommand({ Bucket: this.bucket }));
  }
}

/** Stated outright: the SDK leaves it out for an empty string, and S3 refuses a PUT without one. */
function byteLength(body: Uint8Array | string): number {
  return Buffer.byteLength(body);
}

function hasStatus(sdk: Sdk, error: unknown, status: number): boolean {
  return error instanceof sdk.S3ServiceException && error.$metadata.httpStatusCode === status;
}
