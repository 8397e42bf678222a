import { z } from 'zod';

/**
 * Every error code the platform gives out, with the HTTP status the API answers it with and
 * whether another attempt of a task that failed with it may succeed. The HTTP error handler, the
 * worker's retry decision, health and the board all read this one table.
 */
export const errorCatalog = {
  invalid_request: { status: 400, retryable: false },
  invalid_json: { status: 400, retryable: false },
  /** A dataset or model that cannot be used as given. */
  invalid_data: { status: 400, retryable: false },
  /** A request over a cost cap (epochs, layers, units, rows × features, batch size): the message names the cap. */
  limit_exceeded: { status: 400, retryable: false },
  /** No API key, or one that is unknown, revoked or expired. */
  unauthorized: { status: 401, retryable: false },
  /** The key lacks the scope the call needs, or may not use what the request asks for (a priority). */
  forbidden: { status: 403, retryable: false },
  not_found: { status: 404, retryable: false },
  already_finished: { status: 409, retryable: false },
  alias_in_use: { status: 409, retryable: false },
  /** A retry of a task that has not failed, was not revoked or expired, or was retried already. */
  task_not_retryable: { status: 409, retryable: false },
  conflict: { status: 409, retryable: false },
  /** A predict task whose model version was deleted after it was queued. */
  model_version_deleted: { status: 410, retryable: false },
  payload_too_large: { status: 413, retryable: false },
  /** An upload that would take the tenant's datasets past its storage quota. */
  storage_quota_exceeded: { status: 413, retryable: false },
  unsupported_media_type: { status: 415, retryable: false },
  /** An Idempotency-Key sent again with another request body. */
  idempotency_key_reused: { status: 422, retryable: false },
  /** The key's request budget for this window is spent; Retry-After says when it refills. */
  rate_limited: { status: 429, retryable: false },
  /** The tenant has as many tasks queued and running as its quota allows. */
  quota_exceeded: { status: 429, retryable: false },
  /** As many waits and event streams are open as a key (or the API process) may hold. */
  too_many_streams: { status: 429, retryable: false },
  /** An attempt outlived its task's timeout_s. */
  timeout: { status: 504, retryable: false },
  /** A dependency (Redis, storage) did not answer: a later attempt may find it back. */
  unavailable: { status: 503, retryable: true },
  /** GET /ready: a dependency is down. */
  not_ready: { status: 503, retryable: true },
  /** A task that ended without a recorded reason. */
  failed: { status: 500, retryable: true },
  internal: { status: 500, retryable: true },
} as const satisfies Record<string, { status: number; retryable: boolean }>;

export type ErrorCode = keyof typeof errorCatalog;
export const errorCode = z.enum(Object.keys(errorCatalog) as [ErrorCode, ...ErrorCode[]]);

export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(errorCatalog, code);
}

/** One problem with a request, named by its path (`inputs.3`, `params.epochs`). */
export const errorIssue = z.object({ path: z.string(), message: z.string() });
export type ErrorIssue = z.output<typeof errorIssue>;

/** The body of every error answer: `{ "error": { "code", "message", "issues"? } }`. */
export const errorBody = z.object({ error: z.object({ code: errorCode, message: z.string(), issues: z.array(errorIssue).optional() }) });
export type ErrorBody = z.output<typeof errorBody>;

/** Errors that cross module boundaries carry a code from the catalog; only the edges map codes to HTTP. */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly issues?: ErrorIssue[],
  ) {
    super(message);
    this.name = new.target.name;
  }

  get status(): number {
    return errorCatalog[this.code].status;
  }

  get retryable(): boolean {
    return errorCatalog[this.code].retryable;
  }

  toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message, ...(this.issues ? { issues: this.issues } : {}) } };
  }
}

export class NotFoundError extends AppError {
  constructor(message: string) {
    super('not_found', message);
  }
}

export class ConflictError extends AppError {
  constructor(code: Extract<ErrorCode, 'already_finished' | 'alias_in_use' | 'conflict' | 'task_not_retryable'>, message: string) {
    super(code, message);
  }
}

export class InvalidRequestError extends AppError {
  constructor(message: string, issues?: ErrorIssue[]) {
    super('invalid_request', message, issues);
  }
}

export class UnavailableError extends AppError {
  constructor(message: string) {
    super('unavailable', message);
  }
}

/** A dataset or model that cannot be used as given: retrying will not help. */
export class DataError extends AppError {
  constructor(message: string) {
    super('invalid_data', message);
  }
}
