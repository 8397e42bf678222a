import { randomBytes } from 'node:crypto';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  S3Client,
  paginateListObjectsV2,
} from '@aws-sdk/client-s3';
import { parseEnv, storageEnv } from '@trainyard/shared/platform';
import { s3OptionsFromEnv, type S3StoreOptions } from '@trainyard/shared/storage';
import { startS3Server } from './s3-server.js';

export interface TestS3 {
  options: S3StoreOptions;
  stop(): Promise<void>;
}

/**
 * The S3 to test against: S3_ENDPOINT when set (e.g. MinIO, with the SDK's default credentials),
 * otherwise a fresh in-process server that stop() shuts down.
 */
export async function useTestS3(env: NodeJS.ProcessEnv = process.env): Promise<TestS3> {
  const config = parseEnv(storageEnv, env);
  if (config.S3_ENDPOINT) return { options: s3OptionsFromEnv(config), stop: async () => {} };
  const server = await startS3Server();
  const options = { endpoint: server.endpoint, credentials: server.credentials, forcePathStyle: true };
  return { options, stop: server.stop };
}

export interface TestBucket {
  bucket: string;
  /** Empties and deletes the bucket. */
  remove(): Promise<void>;
}

/** A bucket of its own for one test run, so runs against a shared S3 never see each other's objects. */
export async function createTestBucket(options: S3StoreOptions, label = 'test'): Promise<TestBucket> {
  const client = new S3Client({
    endpoint: options.endpoint,
    region: options.region ?? 'us-east-1',
    forcePathStyle: options.forcePathStyle ?? false,
    credentials: options.credentials,
  });
  const bucket = `ty-${label}-${randomBytes(4).toString('hex')}`;
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  return {
    bucket,
    async remove() {
      try {
        for await (const page of paginateListObjectsV2({ client }, { Bucket: bucket })) {
          const keys = (page.Contents ?? []).map(({ Key }) => ({ Key }));
          if (keys.length) await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys } }));
        }
        await client.send(new DeleteBucketCommand({ Bucket: bucket }));
      } finally {
        client.destroy();
      }
    },
  };
}
