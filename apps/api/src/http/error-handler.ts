import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import { AppError, isUnreachable, type ErrorCode, type Logger, type RedisClient } from '@trainyard/shared/platform';
import { taskIdOf } from './request-facts.js';

/** body-parser's errors carry a `type`; these are the client's fault, and say which code they are. */
const bodyParserErrors: Record<string, [code: ErrorCode, message: string]> = {
  'entity.parse.failed': ['invalid_json', 'the request body is not valid JSON'],
  'entity.too.large': ['payload_too_large', 'the request body is larger than the limit'],
  'encoding.unsupported': ['unsupported_media_type', 'unsupported content encoding'],
  'charset.unsupported': ['unsupported_media_type', 'unsupported charset'],
  'request.aborted': ['invalid_request', 'the request was aborted'],
  'request.size.invalid': ['invalid_request', 'the request body size does not match Content-Length'],
};

/** A client error Express or a body parser raised itself (http-errors with a 4xx `status`), as an AppError. */
function expressClientError(error: unknown): AppError | null {
  if (typeof error !== 'object' || error === null) return null;
  const { type, status } = error as { type?: string; status?: number };
  const known = bodyParserErrors[type ?? ''];
  if (known) return new AppError(known[0], known[1]);
  if (typeof status !== 'number' || status < 400 || status >= 500) return null;
  if (status === 413) return new AppError('payload_too_large', 'the request body is larger than the limit');
  if (status === 415) return new AppError('unsupported_media_type', 'unsupported content encoding');
  if (error instanceof URIError) return new AppError('invalid_request', 'the request path is not valid percent-encoding');
  // A gzip or brotli body that does not decompress, and the like.
  return new AppError('invalid_request', 'the request body could not be read');
}

/**
 * Maps any error to its answer by the error catalog: our AppErrors as they are, Express' own client
 * errors by their status, a Redis that cannot be reached as 503; anything else is a 500 whose
 * details stay in the log.
 */
export function toAppError(error: unknown, redis: RedisClient): AppError {
  if (error instanceof AppError) return error;
  const clientError = expressClientError(error);
  if (clientError) return clientError;
  if (isUnreachable(error, redis)) return new AppError('unavailable', 'the task store (Redis) is unreachable; try again shortly');
  return new AppError('internal', 'internal error');
}

/** Sends an error as every answer of the API does: `{ "error": { "code", "message", "issues"? } }` with the catalog's status. */
export function sendError(res: Response, error: AppError, extra: object = {}): void {
  // The audit log records how a call ended.
  res.locals.errorCode = error.code;
  res.status(error.status).json({ ...error.toBody(), ...extra });
}

/** `send` writes the answer; another protocol (the inference protocol's `{ "error": "…" }`) brings its own. */
export function errorHandler(log: Logger, redis: RedisClient, send: (res: Response, error: AppError) => void = sendError): ErrorRequestHandler {
  return (error, req, res, _next) => {
    const answer = toAppError(error, redis);
    if (answer.code === 'internal') log.error({ err: error, method: req.method, url: req.originalUrl, task_id: taskIdOf(req, res) }, 'request failed');
    if (res.headersSent) return void res.end();
    send(res, answer);
  };
}

export const notFoundHandler: RequestHandler = (req, res) => {
  sendError(res, new AppError('not_found', `no route for ${req.method} ${req.path}`));
};
