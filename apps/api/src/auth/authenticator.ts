import { timingSafeEqual } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import { LRUCache } from 'lru-cache';
import { AppError, type ChangeFeed, type Logger } from '@trainyard/shared/platform';
import { apiKeyPattern, hashApiKey, type ApiKeyRecord, type ApiKeyStore } from './api-keys.js';
import { anonymous, type Principal } from './principal.js';

/** A verified key is trusted this long without asking Redis again, unless a revocation arrives first. */
const cacheMs = 60_000;
/** last_used_at is written at most this often per key and replica. */
const touchEveryMs = 60_000;

/** A 401 with the challenge RFC 6750 asks for; `invalid_token` once a token was given. */
class UnauthorizedError extends AppError {
  readonly challenge: string;

  constructor(message: string, tokenGiven: boolean) {
    super('unauthorized', message);
    this.challenge = `Bearer realm="trainyard"${tokenGiven ? ', error="invalid_token"' : ''}`;
  }
}

/** A key's record as a replica keeps it: the hash as bytes, the expiry as a number, the principal made once. */
interface KnownKey {
  record: ApiKeyRecord;
  hash: Buffer;
  expiresAt: number;
  principal: Principal;
}

function known(record: ApiKeyRecord): KnownKey {
  return {
    record,
    hash: Buffer.from(record.hash, 'hex'),
    expiresAt: record.expires_at ? Date.parse(record.expires_at) : Infinity,
    principal: { tenant: record.tenant, keyId: record.id, scopes: record.scopes, minPriority: record.min_priority },
  };
}

/** The SHA-256 of the key in `Authorization: Bearer <key>`; 401 without one. */
function bearerHash(authorization: string | undefined): Buffer {
  if (!authorization) throw new UnauthorizedError('an API key is required: Authorization: Bearer <key>', false);
  const match = /^Bearer +(\S+) *$/i.exec(authorization);
  if (!match || !apiKeyPattern.test(match[1]!)) throw new UnauthorizedError('the Authorization header is not "Bearer" and an API key', true);
  return hashApiKey(match[1]!);
}

/**
 * Turns `Authorization: Bearer <key>` into the request's principal. Verified keys are kept in memory
 * briefly, so a request with a known key takes no Redis round trip; a revocation published by any
 * replica (or the keys CLI) drops one at once, and while the subscription is down nothing is kept,
 * so a revoked key stops working everywhere within about a round trip. last_used_at is updated at
 * most once a minute per key, never awaited by a request.
 */
export class Authenticator {
  private readonly cache = new LRUCache<string, KnownKey>({ max: 10_000, ttl: cacheMs });
  private readonly touched = new Map<string, number>();

  private constructor(
    private readonly keys: ApiKeyStore,
    private readonly feed: ChangeFeed,
    private readonly log: Logger,
  ) {}

  /** Follows revocations (the message is the key's hash) on the process' change feed. */
  static async start(keys: ApiKeyStore, feed: ChangeFeed, log: Logger): Promise<Authenticator> {
    const authenticator = new Authenticator(keys, feed, log);
    await feed.follow(keys.channel, { changed: (hash) => authenticator.cache.delete(hash), forgetAll: () => authenticator.cache.clear() });
    return authenticator;
  }

  /** The key's principal: at once for a key verified lately, after one Redis read otherwise. */
  verify(authorization: string | undefined): Principal | Promise<Principal> {
    const hash = bearerHash(authorization);
    const id = hash.toString('hex');
    const cached = this.cache.get(id);
    if (cached) return this.admit(cached, hash);
    return this.lookup(id).then((key) => this.admit(key, hash));
  }

  private admit(key: KnownKey | null, hash: Buffer): Principal {
    // The lookup is by hash already; the comparison in constant time costs nothing and leaks nothing.
    if (!key || !timingSafeEqual(key.hash, hash)) throw new UnauthorizedError('unknown API key', true);
    if (key.record.revoked_at) throw new UnauthorizedError('this API key was revoked', true);
    if (key.expiresAt <= Date.now()) throw new UnauthorizedError('this API key has expired', true);
    this.touch(key.record.id);
    return key.principal;
  }

  private async lookup(hash: string): Promise<KnownKey | null> {
    const ticket = this.feed.ticket();
    const record = await this.keys.find(hash);
    if (!record) return null;
    const key = known(record);
    if (this.feed.keeps(ticket)) this.cache.set(hash, key);
    return key;
  }

  private touch(id: string): void {
    const now = Date.now();
    if (now - (this.touched.get(id) ?? 0) < touchEveryMs) return;
    this.touched.set(id, now);
    void this.keys.touch(id, new Date(now).toISOString()).catch((error: unknown) => this.log.warn({ err: error, keyId: id }, 'last_used_at not recorded'));
  }
}

/** Sets every /v1 request's principal from its key; with AUTH=off (null) every request is tenant `default` with every scope. */
export function authentication(authenticator: Authenticator | null): RequestHandler {
  const refused = (res: Response, error: unknown) => {
    if (error instanceof UnauthorizedError) res.set('WWW-Authenticate', error.challenge);
    return error;
  };
  return (req, res, next) => {
    if (!authenticator) {
      req.principal = anonymous;
      return next();
    }
    let verified: Principal | Promise<Principal>;
    try {
      verified = authenticator.verify(req.get('authorization'));
    } catch (error) {
      throw refused(res, error);
    }
    // A key verified lately is known at once: no promise, no extra turn of the event loop.
    if (!(verified instanceof Promise)) {
      req.principal = verified;
      return next();
    }
    verified.then(
      (principal) => {
        req.principal = principal;
        next();
      },
      (error: unknown) => next(refused(res, error)),
    );
  };
}
