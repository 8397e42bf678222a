import { z } from 'zod';
import { parseRedisUrl, slotPrefix } from './redis-url.js';

/** "true"/"false"/"1"/"0": z.coerce.boolean() would turn "false" into true. */
export const boolEnv = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

const positiveInt = z.coerce.number().int().positive();

/** One server's redis:// or rediss:// URL, or a cluster's redis+cluster://host:port,host:port (see parseRedisUrl). */
export const redisUrl = z.string().superRefine((url, ctx) => {
  try {
    if (parseRedisUrl(url).kind === 'cluster') return;
    if (!/^rediss?:$/.test(new URL(url).protocol)) throw new Error('expected redis://, rediss:// or redis+cluster://host:port,host:port');
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: error instanceof TypeError ? 'not a URL' : (error as Error).message });
  }
});

export const redisEnv = z.object({
  REDIS_URL: redisUrl.default('redis://127.0.0.1:6379'),
  /** Key prefix of everything in Redis; on a cluster it becomes a hash tag ({trainyard}) unless it has one (see slotPrefix). */
  QUEUE_PREFIX: z.string().regex(/^[\w{}.-]{1,64}$/, 'letters, digits, _ . - { } (1-64)').default('trainyard'),
  /** Queues the train and predict tasks are split over, each under a hash tag of its own (see shardPrefix). */
  QUEUE_SHARDS: z.coerce.number().int().min(1).max(64).default(1),
});

export const storageEnv = z.object({
  STORAGE_URL: z.string().regex(/^(file|s3):\/\/.+/, 'a file:// or s3:// URL').default('file://./.data/storage'),
  /** An S3-compatible server (MinIO, …); unset means AWS S3. Credentials are not settings here: the AWS SDK's
   * default chain reads AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or a profile, or an instance role). */
  S3_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
  S3_REGION: z.string().min(1).default('us-east-1'),
  /** http://host/bucket/key instead of http://bucket.host/key; MinIO needs true. */
  S3_FORCE_PATH_STYLE: boolEnv.default(false),
});

export const retentionEnv = z.object({
  /** How long finished tasks stay readable. */
  TASK_RETENTION_S: positiveInt.default(86_400),
  /** How many finished tasks per queue and outcome stay readable at most. */
  TASK_RETENTION_COUNT: positiveInt.default(10_000),
});

/** The prediction cache; see docs/caching.md. */
export const cacheEnv = z.object({
  /** Its own Redis with maxmemory-policy allkeys-lru; unset: REDIS_URL, with a warning (then only the TTL bounds it). */
  CACHE_REDIS_URL: redisUrl.optional(),
  /** Seconds a cached prediction stays. */
  PREDICT_CACHE_TTL: positiveInt.default(300),
  /** When the queue Redis may evict keys (tasks would be lost): refuse to start, or warn and go on. */
  QUEUE_REDIS_EVICTION: z.enum(['refuse', 'warn']).default('refuse'),
});

export const logEnv = z.object({
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

/** "a, b ,c" → ["a", "b", "c"] */
export const commaList = z
  .string()
  .transform((list) => list.split(',').map((item) => item.trim()).filter(Boolean))
  .default([]);

export const notifyEnv = z.object({
  /** smtp://user:pass@host:587 (STARTTLS when offered) or smtps://… (TLS); unset: mail is written to MAIL_OUTBOX_DIR. */
  SMTP_URL: z.url({ protocol: /^smtps?$/ }).optional(),
  MAIL_FROM: z.string().min(3).default('Trainyard <trainyard@localhost>'),
  /** Where .eml files go when no SMTP_URL is set. */
  MAIL_OUTBOX_DIR: z.string().min(1).default('.data/outbox'),
  /** The API's address as users reach it, for links in notifications. */
  PUBLIC_URL: z.url({ protocol: /^https?$/ }).default('http://localhost:3000'),
  /** Signs webhooks: whsec_<base64> (decoded, as in Standard Webhooks) or any other string (its UTF-8 bytes). Unset: unsigned. */
  WEBHOOK_SECRET: z
    .string()
    .regex(/^(whsec_[A-Za-z0-9+/]{32,}={0,2}|(?!whsec_).{16,})$/s, 'whsec_ and base64 of 24+ bytes, or another string of 16+ characters')
    .optional(),
  /** Host names or addresses webhooks may reach although they are private (local development, tests). */
  WEBHOOK_ALLOW_HOSTS: commaList,
  WEBHOOK_TIMEOUT_MS: positiveInt.default(10_000),
  /** Delivery attempts per email or webhook, with exponential backoff from NOTIFY_BACKOFF_MS. */
  NOTIFY_ATTEMPTS: positiveInt.max(30).default(8),
  NOTIFY_BACKOFF_MS: positiveInt.default(10_000),
});

/** A parsed configuration whose QUEUE_PREFIX keeps every key in one slot when REDIS_URL is a cluster. */
export const withSlotPrefix = <C extends { REDIS_URL: string; QUEUE_PREFIX: string }>(config: C): C => ({
  ...config,
  QUEUE_PREFIX: slotPrefix(config.REDIS_URL, config.QUEUE_PREFIX),
});

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses the environment once; a bad value throws a ConfigError naming every offending variable. */
export function parseEnv<S extends z.ZodType>(schema: S, source: NodeJS.ProcessEnv): z.output<S> {
  const result = schema.safeParse(withoutBlanks(source));
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => `  ${issue.path.join('.') || '(env)'}: ${issue.message}`);
  throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
}

/** An empty variable means "use the default", as in most shells' `VAR= cmd`. */
function withoutBlanks(source: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(source).filter((entry): entry is [string, string] => !!entry[1]));
}
