import { hash, randomBytes, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { priority } from '@trainyard/shared/jobs';
import { defaultTenant, redisScript, tenantName, type RedisClient } from '@trainyard/shared/platform';
import { scopes, type Scope } from './principal.js';

/** `ty_` and 32 random bytes (256 bits), base64url: readable where it leaks, unguessable. */
export const apiKeyPattern = /^ty_[A-Za-z0-9_-]{43}$/;

export function newApiKey(): string {
  return `ty_${randomBytes(32).toString('base64url')}`;
}

/** A 256-bit random secret needs no slow hash: SHA-256 is what is stored (as hex) and looked up. */
export function hashApiKey(key: string): Buffer {
  return hash('sha256', key, 'buffer');
}

/** A key as the admin endpoints and `npm run keys` show it. */
export const apiKeyView = z.object({
  id: z.string(),
  tenant: z.string(),
  name: z.string(),
  scopes: z.array(z.enum(scopes)),
  min_priority: z.int(),
  created_at: z.iso.datetime(),
  expires_at: z.iso.datetime().nullable(),
  revoked_at: z.iso.datetime().nullable(),
  last_used_at: z.iso.datetime().nullable(),
});
export type ApiKeyView = z.output<typeof apiKeyView>;

/** What Redis keeps of a key; never the key itself. */
export type ApiKeyRecord = Omit<ApiKeyView, 'last_used_at'> & {
  /** SHA-256 of the key, hex. */
  hash: string;
};

/** POST /v1/admin/keys and `npm run keys -- create`. */
export const newKeyRequest = z.strictObject({
  tenant: tenantName,
  name: z.string().trim().min(1).max(100),
  scopes: z
    .array(z.enum(scopes))
    .min(1)
    .transform((given) => [...new Set(given)]),
  /** The key stops working then; unset: never. */
  expires_at: z.iso
    .datetime({ offset: true })
    .refine((at) => Date.parse(at) > Date.now(), 'must be in the future')
    .optional(),
  /** Requests with this key may ask for priorities from this number (1 = any) to 100. */
  min_priority: priority.default(1),
});
export type NewKeyRequest = z.input<typeof newKeyRequest>;

// KEYS: the record, the id index. ARGV: id, record, hash. Writes nothing when the hash is known.
const createScript = `
if not redis.call('SET', KEYS[1], ARGV[2], 'NX') then return 0 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
return 1`;

/**
 * API keys in Redis: each record under its key's hash, an index of ids, the last use of each,
 * and a channel on which revocations reach every API replica. A revoked key's record stays, so
 * a bootstrap key once revoked is never created again.
 */
export class ApiKeyStore {
  private readonly createRecord;

  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {
    this.createRecord = redisScript(redis, 'trainyardCreateApiKey', createScript, 2);
  }

  /** Every API replica drops a revoked key (the message is its hash) from its cache. */
  get channel(): string {
    return `${this.prefix}:auth:revoked`;
  }

  private recordKey(hash: string): string {
    return `${this.prefix}:auth:key:${hash}`;
  }

  private get idsKey(): string {
    return `${this.prefix}:auth:keys`;
  }

  private get usedKey(): string {
    return `${this.prefix}:auth:last-used`;
  }

  /** A new key for the request: the key is in the answer, and never again anywhere. */
  async create(request: NewKeyRequest, key = newApiKey()): Promise<{ key: string; record: ApiKeyView } | null> {
    const parsed = newKeyRequest.parse(request);
    const record: ApiKeyRecord = {
      id: `key_${randomUUID().replaceAll('-', '').slice(0, 16)}`,
      tenant: parsed.tenant,
      name: parsed.name,
      scopes: parsed.scopes,
      min_priority: parsed.min_priority,
      created_at: new Date().toISOString(),
      expires_at: parsed.expires_at ? new Date(parsed.expires_at).toISOString() : null,
      revoked_at: null,
      hash: hashApiKey(key).toString('hex'),
    };
    const created = await this.createRecord(this.recordKey(record.hash), this.idsKey, record.id, JSON.stringify(record), record.hash);
    return Number(created) === 1 ? { key, record: view(record, null) } : null;
  }

  /** The record of a key's hash, revoked or not; null when no such key was ever made. */
  async find(hash: string): Promise<ApiKeyRecord | null> {
    const stored = await this.redis.get(this.recordKey(hash));
    return stored ? (JSON.parse(stored) as ApiKeyRecord) : null;
  }

  /** Every key (of one tenant), oldest first. */
  async list(tenant?: string): Promise<ApiKeyView[]> {
    const hashes = await this.redis.hgetall(this.idsKey);
    const ids = Object.keys(hashes);
    if (!ids.length) return [];
    const [records, used] = await Promise.all([
      this.redis.mget(ids.map((id) => this.recordKey(hashes[id]!))),
      this.redis.hmget(this.usedKey, ...ids),
    ]);
    return records
      .flatMap((stored, i) => (stored ? [view(JSON.parse(stored) as ApiKeyRecord, used[i] ?? null)] : []))
      .filter((record) => tenant === undefined || record.tenant === tenant)
      .sort((a, b) => a.created_at.localeCompare(b.created_at));
  }

  /** Revokes a key on every replica; null when there is no key with that id. Revoking twice changes nothing. */
  async revoke(id: string): Promise<ApiKeyView | null> {
    const hash = await this.redis.hget(this.idsKey, id);
    const record = hash ? await this.find(hash) : null;
    if (!record) return null;
    const revoked = { ...record, revoked_at: record.revoked_at ?? new Date().toISOString() };
    await this.redis.multi().set(this.recordKey(record.hash), JSON.stringify(revoked)).publish(this.channel, record.hash).exec();
    return view(revoked, await this.redis.hget(this.usedKey, id));
  }

  async touch(id: string, at: string): Promise<void> {
    await this.redis.hset(this.usedKey, id, at);
  }

  /**
   * Makes sure the bootstrap key (BOOTSTRAP_API_KEY) exists: an admin key of tenant `default`.
   * Safe for every replica at start; a bootstrap key that was revoked stays revoked.
   */
  async bootstrap(key: string): Promise<'created' | 'exists' | 'revoked'> {
    const known = await this.find(hashApiKey(key).toString('hex'));
    if (known) return known.revoked_at ? 'revoked' : 'exists';
    const created = await this.create({ tenant: defaultTenant, name: 'bootstrap', scopes: ['admin'] }, key);
    return created ? 'created' : 'exists';
  }
}

function view({ hash: _hash, ...record }: ApiKeyRecord, lastUsedAt: string | null): ApiKeyView {
  return { ...record, last_used_at: lastUsedAt };
}
