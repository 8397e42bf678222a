import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError, UnavailableError } from '@trainyard/shared/errors';
import type { Logger } from '@trainyard/shared/logger';

export interface ErrorBody {
  error: { code: string; message: string; issues?: { path: string; message: string }[] };
}

/** The only table from error codes to HTTP statuses. */
const statusByCode: Record<string, number> = {
  invalid_request: 400,
  invalid_json: 400,
  invalid_data: 400,
  unauthorized: 401,
  not_found: 404,
  already_finished: 409,
  alias_in_use: 409,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  unavailable: 503,
};

/** Body-parser errors carry a `type`; these are the client's fault. */
const bodyParserErrors: Record<string, [code: string, message: string]> = {
  'entity.parse.failed': ['invalid_json', 'the request body is not valid JSON'],
  'entity.too.large': ['payload_too_large', 'the request body is larger than the limit'],
  'encoding.unsupported': ['unsupported_media_type', 'unsupported content encoding'],
  'charset.unsupported': ['unsupported_media_type', 'unsupported charset'],
  'request.aborted': ['invalid_request', 'the request was aborted'],
  'request.size.invalid': ['invalid_request', 'the request body size does not match Content-Length'],
};

// ioredis reports an unreachable server with these messages (fail-fast mode: no offline queue).
const redisDown = /enableOfflineQueue|Connection is closed|Command timed out|ECONNREFUSED|ETIMEDOUT|max retries per request/i;

export function toErrorBody(error: unknown): { status: number; body: ErrorBody } {
  if (error instanceof AppError) {
    const issues = Array.isArray(error.details) ? error.details : undefined;
    return {
      status: statusByCode[error.code] ?? 400,
      body: { error: { code: error.code, message: error.message, ...(issues ? { issues } : {}) } },
    };
  }
  const parserError = bodyParserErrors[(error as { type?: string })?.type ?? ''];
  if (parserError) {
    const [code, message] = parserError;
    return { status: statusByCode[code]!, body: { error: { code, message } } };
  }
  if (error instanceof Error && redisDown.test(error.message)) {
    return toErrorBody(new UnavailableError('the task store (Redis) is unreachable; try again shortly'));
  }
  return { status: 500, body: { error: { code: 'internal', message: 'internal error' } } };
}

export function errorHandler(log: Logger): ErrorRequestHandler {
  return (error, req, res, _next) => {
    const { status, body } = toErrorBody(error);
    if (status >= 500) log.error({ err: error, method: req.method, url: req.originalUrl }, 'request failed');
    if (res.headersSent) return void res.end();
    res.status(status).json(body);
  };
}

export const notFoundHandler: RequestHandler = (req, res) => {
  res.status(404).json({ error: { code: 'not_found', message: `no route for ${req.method} ${req.path}` } } satisfies ErrorBody);
};
