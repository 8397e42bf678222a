import { isIP } from 'node:net';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { checkDeadlineEnv, deadlineEnv } from '@trainyard/shared/jobs';
import { metricsEnv } from '@trainyard/shared/metrics';
import { boolEnv, cacheEnv, logEnv, notifyEnv, parseEnv, redisEnv, withSlotPrefix, retentionEnv, storageEnv } from '@trainyard/shared/platform';
import { tracingEnv } from '@trainyard/shared/tracing';
import { apiKeyPattern } from './auth/api-keys.js';

const count = z.coerce.number().int().positive();

/** Addresses only this machine reaches. */
function isLoopback(host: string): boolean {
  if (host === 'localhost' || host === '::1' || host === '[::1]') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

export const apiEnv = z
  .object({
    ...redisEnv.shape,
    ...storageEnv.shape,
    ...retentionEnv.shape,
    ...logEnv.shape,
    ...cacheEnv.shape,
    ...deadlineEnv.shape,
    ...metricsEnv.pick({ METRICS_PORT: true, METRICS_HOST: true }).shape,
    ...tracingEnv.shape,
    // The API checks webhooks at submit time and queues the notifications of tasks it revokes.
    ...notifyEnv.pick({ WEBHOOK_ALLOW_HOSTS: true, NOTIFY_ATTEMPTS: true, NOTIFY_BACKOFF_MS: true }).shape,
    /**
     * A replica of REDIS_URL that task reads (GET /v1/tasks/{id}, event stream openings and replays) go to
     * when it has what the client has seen; unset: every read goes to REDIS_URL.
     */
    REDIS_READ_URL: z.url({ protocol: /^rediss?$/ }).optional(),
    /** GET /v1/tasks/{id}/events sends a comment line after this long without an event. */
    EVENTS_HEARTBEAT_MS: z.coerce.number().int().min(100).default(15_000),
    PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
    /** The address to listen on; unset: every interface (what Node does without one). */
    HOST: z.string().min(1).optional(),
    /** on: every /v1 call needs an API key. off: every call is tenant `default` with every scope (loopback only). */
    AUTH: z.enum(['on', 'off']).default('on'),
    /** An admin key of tenant `default`, created at start unless it exists (npm start and docker-compose set it). */
    BOOTSTRAP_API_KEY: z.string().regex(apiKeyPattern, 'ty_ and 43 base64url characters (32 random bytes)').optional(),
    /** Requests per key and window: submits (train, predict, embed) and everything else, separately. */
    RATE_LIMIT_WINDOW_S: count.default(60),
    RATE_LIMIT_SUBMITS: count.default(600),
    RATE_LIMIT_READS: count.default(6_000),
    /** A tenant's tasks queued and running at once. */
    TENANT_MAX_TASKS: count.default(1_000),
    /** What a tenant's datasets may take in storage together (1 GiB). */
    TENANT_MAX_DATASET_BYTES: count.default(1024 ** 3),
    /** What one training may cost: epochs, hidden layers, units per layer, rows × features, the least batch size. */
    TRAIN_MAX_EPOCHS: count.default(1_000),
    TRAIN_MAX_LAYERS: count.default(4),
    TRAIN_MAX_UNITS: count.default(256),
    TRAIN_MAX_CELLS: count.default(10_000_000),
    TRAIN_MIN_BATCH_SIZE: count.default(4),
    /** Waits and event streams one key, and one API process, may hold at once. */
    FOLLOW_MAX_PER_KEY: count.default(100),
    FOLLOW_MAX_PER_PROCESS: count.default(2_000),
    /**
     * primary: a submit is answered once the queue's master has the job. replicated: also once a
     * replica confirms it (WAIT 1), so a master lost right after the answer loses no accepted task.
     */
    SUBMIT_DURABILITY: z.enum(['primary', 'replicated']).default('primary'),
    /** How long a replicated submit waits for a replica before answering 503; below the API's 2 s command timeout. */
    SUBMIT_REPLICA_WAIT_MS: count.max(1_500).default(500),
    /** How long an Idempotency-Key's answer is kept. */
    IDEMPOTENCY_TTL_S: count.default(86_400),
    /** Entries the audit log keeps (the oldest go first). */
    AUDIT_MAX_ENTRIES: count.default(100_000),
    /** Largest JSON body accepted, in the notation of Express' body parser. */
    BODY_LIMIT: z.string().regex(/^\d+(b|kb|mb)$/i, 'a size such as 512kb or 1mb').default('1mb'),
    /** Largest dataset upload accepted, in bytes (100 MiB by default); beyond it a 413. */
    DATASET_MAX_BYTES: z.coerce.number().int().positive().default(100 * 1024 * 1024),
    /** Bull Board asks for these with HTTP basic auth when both are set (an admin API key as the password works too). */
    BOARD_USER: z.string().optional(),
    BOARD_PASSWORD: z.string().optional(),
    /** POST /v2/…/infer waits this long for its prediction, then answers 503 with the task id. */
    INFER_WAIT_S: z.coerce.number().int().min(0).max(60).default(30),
    /** Bull Board shows the queues but allows no action (retry, promote, clean, pause, add). */
    BOARD_READ_ONLY: boolEnv.default(true),
    /** The built web console (apps/console/dist); unset: where the monorepo and the image build it. */
    CONSOLE_DIR: z.string().min(1).default(fileURLToPath(new URL('../../console/dist', import.meta.url))),
    /** Shadow copies of predictions queued at once; beyond it, copies are dropped (and counted in the alias's stats). */
    SHADOW_MAX_BACKLOG: z.coerce.number().int().min(0).default(1_000),
    TASK_ATTEMPTS: z.coerce.number().int().min(1).max(25).default(3),
    /** First retry delay; each later one doubles. */
    TASK_BACKOFF_MS: z.coerce.number().int().min(0).default(1_000),
  })
  .refine((env) => !env.BOARD_USER === !env.BOARD_PASSWORD, {
    path: ['BOARD_PASSWORD'],
    message: 'set BOARD_USER and BOARD_PASSWORD together',
  })
  .refine((env) => env.AUTH === 'on' || (env.HOST !== undefined && isLoopback(env.HOST)), {
    path: ['AUTH'],
    message: 'AUTH=off serves every request as tenant "default" with every scope, so only on loopback: set HOST=127.0.0.1 (or AUTH=on)',
  })
  .superRefine(checkDeadlineEnv);

export type ApiConfig = z.output<typeof apiEnv>;

export const loadConfig = (source: NodeJS.ProcessEnv): ApiConfig => withSlotPrefix(parseEnv(apiEnv, source));
