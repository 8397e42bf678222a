import { timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import { AppError, type Logger } from '@trainyard/shared/platform';
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

/**
 * Turns `Authorization: Bearer <key>` into the request's principal. Verified keys are kept in memory
 * briefly; a revocation published by any replica (or the keys CLI) drops one at once, and while the
 * subscription is down nothing is kept, so a revoked key stops working everywhere within about a
 * round trip. last_used_at is updated at most once a minute per key, never awaited by a request.
 */
export class Authenticator {
  private readonly cache = new LRUCache<string, ApiKeyRecord>({ max: 10_000, ttl: cacheMs });
  private readonly touched = new Map<string, number>();
  /** Counts revocations, so a lookup that raced one does not cache what it read before it. */
  private generation = 0;
  private listening = false;

  private constructor(
    private readonly keys: ApiKeyStore,
    private readonly subscriber: Redis,
    private readonly log: Logger,
  ) {}

  /** Subscribes to revocations on a connection of its own (a subscribed connection runs nothing else). */
  static async start(keys: ApiKeyStore, subscriber: Redis, log: Logger): Promise<Authenticator> {
    const authenticator = new Authenticator(keys, subscriber, log);
    subscriber.on('message', (_channel: string, hash: string) => authenticator.forget(hash));
    const deaf = () => {
      authenticator.listening = false;
      authenticator.forget();
    };
    subscriber.on('close', deaf);
    // Messages published while the connection was down are lost: start from an empty cache.
    subscriber.on('ready', () => {
      authenticator.forget();
      authenticator.listening = true;
    });
    await subscriber.subscribe(keys.channel);
    authenticator.listening = true;
    return authenticator;
  }

  async verify(authorization: string | undefined): Promise<Principal> {
    const match = /^Bearer +(\S+) *$/i.exec(authorization ?? '');
    if (!authorization) throw new UnauthorizedError('an API key is required: Authorization: Bearer <key>', false);
    if (!match || !apiKeyPattern.test(match[1]!)) throw new UnauthorizedError('the Authorization header is not "Bearer" and an API key', true);
    const hash = hashApiKey(match[1]!);
    const record = await this.lookup(hash);
    // The lookup is by hash already; the comparison in constant time costs nothing and leaks nothing.
    if (!record || !timingSafeEqual(Buffer.from(record.hash, 'hex'), Buffer.from(hash, 'hex'))) throw new UnauthorizedError('unknown API key', true);
    if (record.revoked_at) throw new UnauthorizedError('this API key was revoked', true);
    if (record.expires_at && Date.parse(record.expires_at) <= Date.now()) throw new UnauthorizedError('this API key has expired', true);
    this.touch(record.id);
    return { tenant: record.tenant, keyId: record.id, scopes: record.scopes, minPriority: record.min_priority };
  }

  async close(): Promise<void> {
    this.subscriber.disconnect();
  }

  private async lookup(hash: string): Promise<ApiKeyRecord | null> {
    const cached = this.cache.get(hash);
    if (cached) return cached;
    const generation = this.generation;
    const record = await this.keys.find(hash);
    if (record && this.listening && generation === this.generation) this.cache.set(hash, record);
    return record;
  }

  /** Drops one key (a revocation), or every key. */
  private forget(hash?: string): void {
    this.generation++;
    if (hash) this.cache.delete(hash);
    else this.cache.clear();
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
  return async (req, res, next) => {
    try {
      req.principal = authenticator ? await authenticator.verify(req.get('authorization')) : anonymous;
    } catch (error) {
      if (error instanceof UnauthorizedError) res.set('WWW-Authenticate', error.challenge);
      throw error;
    }
    next();
  };
}
