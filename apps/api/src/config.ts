import { z } from 'zod';
import { checkDeadlineEnv, deadlineEnv } from '@trainyard/shared/jobs';
import { metricsEnv } from '@trainyard/shared/metrics';
import { cacheEnv, logEnv, notifyEnv, parseEnv, redisEnv, retentionEnv, storageEnv } from '@trainyard/shared/platform';
import { tracingEnv } from '@trainyard/shared/tracing';

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
    /** GET /v1/tasks/{id}/events sends a comment line after this long without an event. */
    EVENTS_HEARTBEAT_MS: z.coerce.number().int().min(100).default(15_000),
    PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
    /** Largest JSON body accepted, in the notation of Express' body parser. */
    BODY_LIMIT: z.string().regex(/^\d+(b|kb|mb)$/i, 'a size such as 512kb or 1mb').default('1mb'),
    /** Largest dataset upload accepted, in bytes (100 MiB by default); beyond it a 413. */
    DATASET_MAX_BYTES: z.coerce.number().int().positive().default(100 * 1024 * 1024),
    /** Bull Board asks for these with HTTP basic auth when both are set. */
    BOARD_USER: z.string().optional(),
    BOARD_PASSWORD: z.string().optional(),
    /** POST /v2/…/infer waits this long for its prediction, then answers 503 with the task id. */
    INFER_WAIT_S: z.coerce.number().int().min(0).max(60).default(30),
    TASK_ATTEMPTS: z.coerce.number().int().min(1).max(25).default(3),
    /** First retry delay; each later one doubles. */
    TASK_BACKOFF_MS: z.coerce.number().int().min(0).default(1_000),
  })
  .refine((env) => !env.BOARD_USER === !env.BOARD_PASSWORD, {
    path: ['BOARD_PASSWORD'],
    message: 'set BOARD_USER and BOARD_PASSWORD together',
  })
  .superRefine(checkDeadlineEnv);

export type ApiConfig = z.output<typeof apiEnv>;

export const loadConfig = (source: NodeJS.ProcessEnv): ApiConfig => parseEnv(apiEnv, source);
