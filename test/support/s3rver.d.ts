// The part of s3rver (which ships no types) that the test S3 server uses.
declare module 's3rver' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  interface StoredObject {
    key: string;
    size: number;
    lastModifiedDate: Date;
    metadata: Record<string, string | undefined>;
  }

  interface FilesystemStore {
    getBucket(bucket: string): Promise<object | null>;
    existsObject(bucket: string, key: string): Promise<boolean>;
    /** Where s3rver keeps a resource on disk; resource 'uploads' is the folder of multipart uploads. */
    getResourcePath(bucket: string, key: string | undefined, resource: string): string;
    listObjects(
      bucket: string,
      options: { prefix?: string; startAfter?: string; maxKeys?: number },
    ): Promise<{ objects: StoredObject[]; isTruncated: boolean }>;
  }

  export default class S3rver {
    constructor(options: { directory: string; silent?: boolean; vhostBuckets?: boolean });
    readonly store: FilesystemStore;
    /** Serves the S3 API on requests handed to it, without listening itself. */
    getMiddleware(): (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  }
}
