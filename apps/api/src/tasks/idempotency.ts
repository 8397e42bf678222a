import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Request } from 'express';
import { AppError, InvalidRequestError, tenantKeyPrefix, type RedisClient } from '@trainyard/shared/platform';

/** What the first request with a key is doing, or what it answered. */
type Stored<T> = { fingerprint: string; state: 'pending' } | { fingerprint: string; state: 'done'; answer: T };

/** A key is a Structured Fields string ("…"); a bare token is taken as well. Printable ASCII, 1–255. */
const keyPattern = /^"?([\x21\x23-\x7e]{1,255})"?$/;
/** How long a first request may take to queue its task; a crash frees the key after this. */
const pendingSeconds = 60;
/** How long a repeat waits for the first to finish queueing before giving up with 409. */
const repeatWaitMs = 10_000;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * Idempotency-Key on POST train/predict/embed (draft-ietf-httpapi-idempotency-key-header): the
 * first request with a key runs and its answer is kept for IDEMPOTENCY_TTL_S; the same key with the
 * same body answers that again (never a second task), also while the first is still queueing; the
 * same key with another body is a 422. Keys are the tenant's own.
 */
export class Idempotency {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly ttlSeconds: number,
  ) {}

  /** Runs `submit` once per key and body, or answers what it answered before. Without the header, it just runs. */
  async once<T>(req: Request, tenant: string, submit: () => Promise<T>): Promise<T> {
    const header = req.get('idempotency-key');
    if (header === undefined) return submit();
    const match = keyPattern.exec(header.trim());
    if (!match) {
      throw new InvalidRequestError('Idempotency-Key: 1 to 255 printable characters, optionally in double quotes', [
        { path: 'Idempotency-Key', message: 'expected a string of 1 to 255 printable characters' },
      ]);
    }
    const key = `${tenantKeyPrefix(this.prefix, tenant)}:idempotency:${sha256(match[1]!)}`;
    const fingerprint = sha256(`${req.method} ${req.path} ${JSON.stringify(req.body)}`);
    const deadline = Date.now() + repeatWaitMs;
    for (;;) {
      const claimed = await this.redis.set(key, JSON.stringify({ fingerprint, state: 'pending' } satisfies Stored<T>), 'EX', pendingSeconds, 'NX');
      if (claimed) return this.first(key, fingerprint, submit);
      const stored = await this.redis.get(key);
      // Gone meanwhile: the first request failed (or expired); this one may run.
      if (stored === null) continue;
      const earlier = JSON.parse(stored) as Stored<T>;
      if (earlier.fingerprint !== fingerprint) {
        throw new AppError('idempotency_key_reused', 'this Idempotency-Key came with another request body; use a new key for a new request');
      }
      if (earlier.state === 'done') return earlier.answer;
      if (Date.now() > deadline) throw new AppError('conflict', 'a request with this Idempotency-Key is still being processed; try again');
      await sleep(20);
    }
  }

  private async first<T>(key: string, fingerprint: string, submit: () => Promise<T>): Promise<T> {
    let answer: T;
    try {
      answer = await submit();
    } catch (error) {
      // Not queued: the key is free again, so the client may retry it.
      await this.redis.del(key).catch(() => {});
      throw error;
    }
    // Queued: a failure to remember it must not turn the answer into an error (a retry would run it twice).
    await this.redis
      .set(key, JSON.stringify({ fingerprint, state: 'done', answer } satisfies Stored<T>), 'EX', this.ttlSeconds)
      .catch(() => {});
    return answer;
  }
}
