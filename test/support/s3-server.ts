import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import { verifySignature, type S3Credentials } from './s3-signature.js';

export interface TestS3Server {
  endpoint: string;
  credentials: S3Credentials;
  /** Stops answering at once, dropping open connections, and deletes the data; later calls await the first. */
  stop(): Promise<void>;
}

/**
 * A real S3-protocol server in this process: s3rver behind a thin front that makes it behave as S3 does
 * where s3rver falls short with the current AWS SDK. Path-style addressing only. The front
 * - checks SigV4 Authorization headers against its own secret (s3rver accepts any secret; presigned
 *   URLs are refused);
 * - makes PutObject with `If-None-Match: *` conditional (s3rver ignores it), answering 409
 *   ConditionalRequestConflict to a second conditional write while one is in flight, as S3 may;
 * - answers ListObjectsV2 itself, because s3rver's continuation tokens use DES, which Node 20's
 *   OpenSSL 3 refuses, so s3rver fails on any listing longer than one page;
 * - aborts multipart uploads (s3rver cannot), which lib-storage's Upload does when its source fails;
 * - refuses aws-chunked bodies (s3rver would store the chunk framing as data). The SDK sends them
 *   only for PutObject with a stream; lib-storage's Upload buffers each part and never does.
 */
export async function startS3Server(): Promise<TestS3Server> {
  const directory = await mkdtemp(join(tmpdir(), 'ty-s3-'));
  const s3rver = new S3rver({ directory, silent: true, vhostBuckets: false });
  const serveS3 = s3rver.getMiddleware();
  const credentials = {
    accessKeyId: `test-${randomBytes(4).toString('hex')}`,
    secretAccessKey: randomBytes(20).toString('hex'),
  };
  const conditionalWrites = new Set<string>();

  async function answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const refused = verifySignature(req, credentials);
    if (refused) return sendError(req, res, 403, refused, 'The request is not signed with this server’s keys.');
    // s3rver knows only its built-in account; the signature has been checked above.
    delete req.headers.authorization;
    if (/aws-chunked/.test(req.headers['content-encoding'] ?? '')) {
      return sendError(req, res, 501, 'NotImplemented', 'aws-chunked bodies are not supported by this test server.');
    }
    const url = new URL(req.url ?? '/', 'http://s3');
    const [, bucket = '', key = ''] = /^\/([^/]+)\/?(.*)$/s.exec(decodeURIComponent(url.pathname)) ?? [];
    if (req.method === 'GET' && bucket && !key && url.searchParams.get('list-type') === '2') {
      return listObjectsV2(req, res, bucket, url.searchParams);
    }
    const uploadId = url.searchParams.get('uploadId');
    if (req.method === 'DELETE' && key && uploadId) return abortMultipartUpload(req, res, bucket, uploadId);
    const ifNoneMatch = req.headers['if-none-match'];
    if (ifNoneMatch !== undefined && req.method !== 'GET' && req.method !== 'HEAD') {
      const isPutObject = req.method === 'PUT' && key && !uploadId;
      if (!isPutObject || ifNoneMatch !== '*') {
        return sendError(req, res, 501, 'NotImplemented', 'Only PutObject with If-None-Match: * is conditional here.');
      }
      return putIfNoneMatch(req, res, bucket, key);
    }
    await serveS3(req, res);
  }

  async function putIfNoneMatch(req: IncomingMessage, res: ServerResponse, bucket: string, key: string) {
    const id = `${bucket}/${key}`;
    if (conditionalWrites.has(id)) {
      return sendError(req, res, 409, 'ConditionalRequestConflict', 'A conflicting operation occurred; retry.');
    }
    conditionalWrites.add(id);
    try {
      if (await s3rver.store.existsObject(bucket, key)) {
        return sendError(req, res, 412, 'PreconditionFailed', 'At least one of the pre-conditions did not hold');
      }
      const done = once(res, 'close');
      await serveS3(req, res);
      await done;
    } finally {
      conditionalWrites.delete(id);
    }
  }

  async function abortMultipartUpload(req: IncomingMessage, res: ServerResponse, bucket: string, uploadId: string) {
    const known = /^[a-z0-9][a-z0-9.-]+$/.test(bucket) && /^[0-9a-f]+$/.test(uploadId);
    const parts = join(s3rver.store.getResourcePath(bucket, undefined, 'uploads'), uploadId);
    if (!known || !existsSync(parts)) return sendError(req, res, 404, 'NoSuchUpload', 'The upload does not exist.');
    await rm(parts, { recursive: true });
    res.writeHead(204).end();
  }

  async function listObjectsV2(req: IncomingMessage, res: ServerResponse, bucket: string, params: URLSearchParams) {
    if (params.has('delimiter')) return sendError(req, res, 501, 'NotImplemented', 'No delimiter listings here.');
    const maxKeys = Number(params.get('max-keys') ?? 1000);
    if (!Number.isInteger(maxKeys) || maxKeys < 1) {
      return sendError(req, res, 400, 'InvalidArgument', 'max-keys must be a positive integer');
    }
    if (!(await s3rver.store.getBucket(bucket))) {
      return sendError(req, res, 404, 'NoSuchBucket', 'The specified bucket does not exist');
    }
    const token = params.get('continuation-token');
    const prefix = params.get('prefix') ?? '';
    const { objects, isTruncated } = await s3rver.store.listObjects(bucket, {
      prefix,
      startAfter: token ? Buffer.from(token, 'base64url').toString() : (params.get('start-after') ?? ''),
      maxKeys: Math.min(maxKeys, 1000),
    });
    const last = objects.at(-1)?.key;
    const body = [
      '<?xml version="1.0" encoding="UTF-8"?>',
      '<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">',
      `<Name>${xml(bucket)}</Name><Prefix>${xml(prefix)}</Prefix><MaxKeys>${maxKeys}</MaxKeys>`,
      `<KeyCount>${objects.length}</KeyCount><IsTruncated>${isTruncated}</IsTruncated>`,
      token ? `<ContinuationToken>${xml(token)}</ContinuationToken>` : '',
      // Our own token: the last key listed, which the next page starts after.
      isTruncated && last ? `<NextContinuationToken>${Buffer.from(last).toString('base64url')}</NextContinuationToken>` : '',
      ...objects.map(
        (object) =>
          `<Contents><Key>${xml(object.key)}</Key>` +
          `<LastModified>${object.lastModifiedDate.toISOString()}</LastModified>` +
          `<ETag>${xml(object.metadata.etag ?? '')}</ETag><Size>${object.size}</Size>` +
          '<StorageClass>STANDARD</StorageClass></Contents>',
      ),
      '</ListBucketResult>',
    ].join('');
    res.writeHead(200, { 'content-type': 'application/xml' }).end(body);
  }

  const server = createServer((req, res) => {
    answer(req, res).catch((error: Error) =>
      res.headersSent ? res.destroy(error) : sendError(req, res, 500, 'InternalError', error.message),
    );
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  async function shutDown() {
    const closed = once(server, 'close');
    server.close();
    server.closeAllConnections();
    await closed;
    await rm(directory, { recursive: true, force: true });
  }
  let stopped: Promise<void> | undefined;
  return { endpoint: `http://127.0.0.1:${port}`, credentials, stop: () => (stopped ??= shutDown()) };
}

function sendError(req: IncomingMessage, res: ServerResponse, status: number, code: string, message: string): void {
  res.writeHead(status, { 'content-type': 'application/xml' });
  // A HEAD answer carries no body; the SDK reads the error from the status alone.
  if (req.method === 'HEAD') return void res.end();
  const body = `<Error><Code>${code}</Code><Message>${xml(message)}</Message></Error>`;
  res.end(`<?xml version="1.0" encoding="UTF-8"?>\n${body}`);
}

function xml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
