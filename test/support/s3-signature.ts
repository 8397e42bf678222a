import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export type SignatureError = 'AccessDenied' | 'InvalidAccessKeyId' | 'SignatureDoesNotMatch';

/**
 * Checks an AWS Signature V4 Authorization header as S3 does (s3rver itself accepts any secret).
 * The payload hash is taken as declared in x-amz-content-sha256, not recomputed from the body.
 */
export function verifySignature(req: IncomingMessage, credentials: S3Credentials): SignatureError | null {
  const auth = /^AWS4-HMAC-SHA256 Credential=([^,]+), ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(
    req.headers.authorization ?? '',
  );
  if (!auth) return 'AccessDenied';
  const [, credential = '', signedHeaders = '', signature = ''] = auth;
  const [accessKeyId, ...scope] = credential.split('/');
  if (accessKeyId !== credentials.accessKeyId || scope.length !== 4) return 'InvalidAccessKeyId';

  const [path = '', query = ''] = (req.url ?? '').split(/\?(.*)/s);
  const canonicalRequest = [
    req.method,
    path,
    canonicalQuery(query),
    ...signedHeaders.split(';').map((name) => `${name}:${headerValue(req, name)}`),
    '',
    signedHeaders,
    headerValue(req, 'x-amz-content-sha256'),
  ].join('\n');
  const stringToSign = [
    'AWS4-HMAC-SHA256',
    headerValue(req, 'x-amz-date'),
    scope.join('/'),
    createHash('sha256').update(canonicalRequest).digest('hex'),
  ].join('\n');
  const secret = `AWS4${credentials.secretAccessKey}`;
  const signingKey = scope.reduce<Buffer | string>((key, part) => hmac(key, part), secret);
  const expected = hmac(signingKey, stringToSign);
  return timingSafeEqual(expected, Buffer.from(signature, 'hex')) ? null : 'SignatureDoesNotMatch';
}

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

function headerValue(req: IncomingMessage, name: string): string {
  const value = req.headers[name];
  return (Array.isArray(value) ? value.join(',') : (value ?? '')).trim().replace(/\s+/g, ' ');
}

/** Parameters sorted, each name and value percent-encoded the strict RFC 3986 way. */
function canonicalQuery(query: string): string {
  return query
    .split('&')
    .filter(Boolean)
    .map((pair) => {
      const [name = '', value = ''] = pair.split(/=(.*)/s);
      return [uriEncode(decodeURIComponent(name)), uriEncode(decodeURIComponent(value))] as const;
    })
    .sort(([a, x], [b, y]) => (a === b ? compare(x, y) : compare(a, b)))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function uriEncode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
