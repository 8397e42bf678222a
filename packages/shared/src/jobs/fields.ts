import { z } from 'zod';
import { taskDeadline } from './deadlines.js';

/** One row of numeric features. */
export const featureRow = z.array(z.number()).min(1).max(1_024);
/** A text, for text models. */
export const text = z.string().max(10_000);
/** A class label or a numeric target. */
export const label = z.union([z.string().min(1).max(256), z.number()]);

/** 1 is the most urgent, as in BullMQ. */
export const priority = z.int().min(1).max(100);

/** Seconds; the API caps them with the queue's configured maxima (deadlines.ts). */
export const requestedDeadline = { timeout_s: z.int().min(1).optional(), expires_s: z.int().min(1).optional() };

/** The deadlines a task's job carries, fixed by the API at submit time; none on a job queued before deadlines existed. */
export const jobDeadline = taskDeadline.default({});

/** The task a task re-runs (POST /v1/tasks/{id}/retry); absent on a first run. */
export const retryOf = z.string().regex(/^(train|predict|batch)(-s[1-9]\d?)?-[0-9a-f]{32}$/).optional();
